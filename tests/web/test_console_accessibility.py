"""axe-core over the signed-in pages (body console, holder portal) and the catalogues, phone and desktop, both
languages, with a screenshot of each page in build/screenshots/ for people to look at."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from registry.db import get_session
from registry.models import Batch, Body, Certificate, Job
from tests.web.test_accessibility import AXE_TAGS, axe_script, describe  # noqa: F401  (fixture used by name)
from tests.web.test_browser import VIEWPORTS, browser, server, shoot  # noqa: F401  (fixtures used by name)

pytestmark = pytest.mark.slow

DEMO_PASSWORD = "demo-pass-2026"  # registry.services.demo
BAD_CSV = "王芳,居民身份证,110105194912310021,80,80\n李强,居民身份证,11010519491231002X,80,九十\n".encode()


def _axe(page: Any, script) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(script))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(results => results.violations)",
        AXE_TAGS,
    )


def _console_paths(app) -> dict[str, str]:
    with app.app_context():
        session = get_session()
        body = session.exec(select(Body).where(Body.kind == "Y")).first()
        issued = session.exec(select(Batch).where(Batch.body_id == body.id, Batch.status == "issued")).first()
        submitted = session.exec(select(Batch).where(Batch.body_id == body.id, Batch.status == "submitted")).first()
        draft = session.exec(select(Batch).where(Batch.body_id == body.id, Batch.status == "draft")).first()
        cert = session.exec(select(Certificate).where(Certificate.body_id == body.id,
                                                      Certificate.status == "valid")).first()
        waiting, failed = _jobs(session, submitted, issued)
        return {"console-job-waiting": f"/console/jobs/{waiting}", "console-job-failed": f"/console/jobs/{failed}",
                "console-home": "/console", "console-new-batch": "/console/batches/new",
                "console-issued-batch": f"/console/batches/{issued.id}",
                "console-submitted-batch": f"/console/batches/{submitted.id}",
                "console-draft-batch": f"/console/batches/{draft.id}",
                "console-certificates": "/console/certificates",
                "console-certificate": f"/console/certificates/{cert.number}",
                "console-body": "/console/body", "console-tokens": "/console/tokens",
                "bodies": "/bodies", "body": f"/bodies/{body.credit_code}",
                "standards": "/standards", "standard": "/standards/6-31-01-03"}


def _jobs(session, submitted: Batch, issued: Batch) -> tuple[int, int]:
    """A job waiting for a worker (its progress bar) and a failed one (its reason and retry button), made once."""
    jobs = session.exec(select(Job).where(Job.batch_id.in_([submitted.id, issued.id]))).all()
    if not jobs:
        now = datetime.now(UTC)
        jobs = [Job(kind="issue", status="queued", body_id=submitted.body_id, batch_id=submitted.id,
                    created_by=submitted.created_by, total=1200, created_at=now),
                Job(kind="print", status="failed", body_id=issued.body_id, batch_id=issued.id,
                    created_by=issued.created_by, total=800, attempts=1, created_at=now, finished_at=now,
                    error={"reason": "internal-error", "zh": "任务因内部错误中止。",
                           "en": "The job stopped on an internal error.", "field": None})]
        session.add_all(jobs)
        session.commit()
    by_kind = {job.kind: job.id for job in jobs}
    return by_kind["issue"], by_kind["print"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_signed_in_pages_have_no_axe_violations(browser, server, axe_script, viewport, language):  # noqa: F811
    app, base = server
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True,  # CSP would refuse axe's tag
                                  locale="zh-CN" if language == "zh" else "en-US")
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(f"{base}/login?lang={language}")
    found["login"] = _axe(page, axe_script)
    shoot(page, f"login-{viewport}-{language}")
    page.fill("#username", "y-body-admin")
    page.fill("#password", DEMO_PASSWORD)
    page.locator("form.lookup button[type=submit]").click()
    for name, path in _console_paths(app).items():
        page.goto(f"{base}{path}")
        assert page.locator("h1").count() == 1, f"{name}: one page heading"
        found[name] = _axe(page, axe_script)
        shoot(page, f"{name}-{viewport}-{language}")
    page.goto(f"{base}{_console_paths(app)['console-draft-batch']}")  # a file refused: its errors in a table
    page.set_input_files("#import-file", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_CSV}])
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("#import-heading ~ table tbody tr").count() >= 2
    found["console-import-refused"] = _axe(page, axe_script)
    shoot(page, f"console-import-refused-{viewport}-{language}")
    page.goto(f"{base}/console/tokens")  # a token just issued: its secret shown once, and a row in the list
    page.fill("#name", f"axe {viewport} {language}")
    page.locator("form.console-form button[type=submit]").click()
    assert page.locator("#new-token").count() == 1
    found["console-token-issued"] = _axe(page, axe_script)
    shoot(page, f"console-token-issued-{viewport}-{language}")
    context.close()

    holder = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True,
                                 locale="zh-CN" if language == "zh" else "en-US").new_page()
    with app.app_context():
        cert = get_session().exec(select(Certificate).where(Certificate.status == "valid")).first()
    holder.goto(f"{base}/holder?lang={language}")
    found["holder-sign-in"] = _axe(holder, axe_script)
    holder.fill("#id_number", cert.id_number)
    holder.fill("#name", cert.holder_name)
    holder.fill("#number", cert.number)
    holder.locator("form.lookup button[type=submit]").click()
    assert re.search(r"/holder/certificates$", holder.url)
    found["holder-certificates"] = _axe(holder, axe_script)
    shoot(holder, f"holder-certificates-{viewport}-{language}")
    holder.context.close()

    violations = {name: v for name, v in found.items() if v}
    assert not violations, "\n".join(f"{name}: {describe(v)}" for name, v in violations.items())

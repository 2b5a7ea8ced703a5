"""Every console route x every role, generated from the app's URL map (a new route joins the matrix by itself,
and a route with a parameter this file does not know fails until it is added).

Body A's staff aim at body B's objects: they must get 404 and B must be unchanged. The regulator is kept out
of the body console (403) and body staff out of the regulator's (403); strangers are sent to sign in or refused.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from registry.models import ApiToken, Batch, Candidate, Certificate, Job, JobFile, ScopeEntry, User
from registry.services import batches as batch_service
from registry.services.tokens import create_token
from tests import factories as f

BODY_ROLES = ("body_admin", "assessor", "supervisor")


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, actor) -> str:
    """Sign out whoever was signed in, sign in as `actor`, and return a CSRF token of the new session."""
    client.post("/logout", data={"csrf_token": token(client.get("/").get_data(as_text=True))})
    html = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": token(html), "username": actor.label.removeprefix("user:"),
                                           "password": f.PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return token(client.get("/").get_data(as_text=True))


@pytest.fixture
def world(session, vault):
    f.publish_catalogue(session)
    body_a = f.body(session, body_code="0001")
    a_staff = {role: f.staff(session, body_a, role) for role in BODY_ROLES}
    issued = f.issued_batch(session, count=2)  # body B, with its own staff and certificates
    draft = batch_service.open_batch(
        session, body_id=issued.body.id, standard_code="6-31-01-03", standard_version=2018, level=4,
        work_type=None, assessed_on=f.ASSESSED_ON, place="实训楼", actor=issued.assessor, now=f.NOW)
    batch_service.add_candidates(session, batch_id=draft.id, candidates=f.candidate_inputs(1, start=700),
                                 actor=issued.assessor, now=f.NOW)
    candidate = session.exec(select(Candidate).where(Candidate.batch_id == draft.id)).one()
    b_user = session.exec(select(User).where(User.body_id == issued.body.id)).first()
    scope = session.exec(select(ScopeEntry).where(ScopeEntry.body_id == issued.body.id)).first()
    api_token = create_token(session, user_id=issued.assessor.user_id, name="B 的令牌", scope="read",
                             actor=issued.assessor, now=f.NOW).token
    # A failed print job of body B's, with a file: every job route has something of B's to refuse.
    job = Job(kind="print", status="failed", body_id=issued.body.id, batch_id=issued.certificates[0].batch_id,
              created_by=issued.supervisor.user_id, total=2, created_at=f.NOW, finished_at=f.NOW,
              error={"reason": "internal-error", "zh": "中止", "en": "Stopped", "field": None})
    session.add(job)
    session.flush()
    session.add(JobFile(job_id=job.id, role="output", filename="b.pdf", media_type="application/pdf",
                        content=b"%PDF-1.7 body B"))
    session.commit()
    b_params = {"batch_id": draft.id, "candidate_id": candidate.id, "number": issued.certificates[0].number,
                "user_id": b_user.id, "body_id": issued.body.id, "scope_id": scope.id, "code": "6-31-01-03",
                "table": "month", "token_id": api_token.token_id, "job_id": job.id}
    return a_staff, issued, b_params


def routes(app, prefix: str):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def url(rule, params: dict[str, object]) -> str:
    unknown = set(rule.arguments) - set(params)
    assert not unknown, f"{rule.rule}: add a value for {unknown} to the permission matrix"
    return rule.build({name: params[name] for name in rule.arguments})[1]


def snapshot(session, issued, params):
    session.expire_all()
    batch = session.get(Batch, params["batch_id"])
    cert = session.exec(select(Certificate).where(Certificate.number == params["number"])).one()
    candidate = session.get(Candidate, params["candidate_id"])
    user = session.get(User, params["user_id"])
    api_token = session.exec(select(ApiToken).where(ApiToken.token_id == params["token_id"])).one()
    job = session.get(Job, params["job_id"])
    return (batch.status, len(batch_service.candidates_of(session, batch.id)), cert.status, candidate.scores,
            user.active, api_token.revoked_at, job.status, job.attempts)


def test_body_staff_never_reach_another_bodys_objects(app, client, session, world):
    a_staff, issued, params = world
    before = snapshot(session, issued, params)
    checked = 0
    for role, actor in a_staff.items():
        csrf = sign_in(client, actor)
        for rule, method in routes(app, "/console"):
            if not set(rule.arguments) & {"batch_id", "candidate_id", "number", "user_id", "token_id", "job_id"}:
                continue  # the actor's own body: nothing of another body in the address
            target = url(rule, params)
            response = client.get(target) if method == "GET" else client.post(target, data={"csrf_token": csrf})
            assert response.status_code == 404, f"{role} {method} {target}: {response.status_code}"
            assert issued.certificates[0].holder_name not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 3 * 13
    assert snapshot(session, issued, params) == before  # nothing of body B changed


def test_the_regulator_stays_out_of_the_body_console_and_staff_out_of_the_regulators(app, client, session, world):
    a_staff, _, params = world
    regulator = f.regulator(session)
    csrf = sign_in(client, regulator)
    for rule, method in routes(app, "/console"):
        target = url(rule, params)
        response = client.get(target) if method == "GET" else client.post(target, data={"csrf_token": csrf})
        assert response.status_code == 403, f"regulator {method} {target}: {response.status_code}"
    for role, actor in a_staff.items():
        csrf = sign_in(client, actor)
        for rule, method in routes(app, "/regulator"):
            target = url(rule, params)
            response = client.get(target) if method == "GET" else client.post(target, data={"csrf_token": csrf})
            assert response.status_code == 403, f"{role} {method} {target}: {response.status_code}"


def test_strangers_are_sent_to_sign_in_and_their_posts_refused(app, client, world):
    _, _, params = world
    for prefix in ("/console", "/regulator"):
        for rule, method in routes(app, prefix):
            target = url(rule, params)
            if method == "GET":
                response = client.get(target)
                assert response.status_code == 302 and "/login" in response.headers["Location"], target
            else:
                assert client.post(target, data={}).status_code in (400, 302), target  # no CSRF token, no session


def test_the_regulator_reaches_every_regulator_page(app, client, session, world):
    _, _, params = world
    sign_in(client, f.regulator(session))
    for rule, method in routes(app, "/regulator"):
        if method == "GET":
            response = client.get(url(rule, params))
            assert response.status_code == 200, f"{rule.rule}: {response.status_code}"

"""The regulator's register of assessment batches: every body's batches with their counts, filtered and paged, one
batch read with its candidates; ID numbers never in full; nobody but the regulator gets in."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import select

from certificates import mask_id
from registry.db import get_session
from registry.errors import Forbidden
from registry.models import Batch, Candidate, User
from registry.services import batch_register, issuance
from registry.services import batches as batch_service
from registry.services.demo import DEMO_PASSWORD
from registry.services.revocation import reissue_certificate
from tests import factories as f
from tests.web.test_browser import VIEWPORTS, browser, server, shoot  # noqa: F401  (fixtures)
from tests.web.test_regulator import AXE, AXE_TAGS
from tests.web.test_staff import sign_in, token, username

DELIVERY = "4-02-07-10"  # 网约配送员 2021: body B's second occupation
EARLY = date(2026, 3, 2)


@pytest.fixture
def world(session):
    """Body A: one issued batch (3 candidates, 2 passed and certified). Body B: a submitted batch of 2 (both pass)
    and an empty draft of another occupation assessed earlier."""
    f.publish_catalogue(session)
    body_a = f.body(session, body_code="0001")
    a_assessor, a_supervisor = f.staff(session, body_a, "assessor"), f.staff(session, body_a, "supervisor")
    issued = f.submitted_batch(session, body_a, a_assessor, count=3, failing={1})
    certificates = issuance.approve_batch(session, batch_id=issued.id, approved_by=a_supervisor, vault=f.VAULT,
                                          now=f.NOW)
    body_b = f.body(session, body_code="0002",
                    scope=(("6-31-01-03", None, [5, 4, 3, 2, 1]), (DELIVERY, None, [5, 4, 3, 2, 1])))
    b_assessor = f.staff(session, body_b, "assessor")
    submitted = f.submitted_batch(session, body_b, b_assessor, count=2, start=10)
    draft = batch_service.open_batch(
        session, body_id=body_b.id, standard_code=DELIVERY, standard_version=2021, level=5, work_type=None,
        assessed_on=EARLY, place="配送站", actor=b_assessor, now=f.NOW)
    return {"a": body_a, "b": body_b, "issued": issued, "submitted": submitted, "draft": draft,
            "certificates": certificates, "a_supervisor": a_supervisor, "b_assessor": b_assessor}


@pytest.fixture
def regulator(client, session, world):
    actor = f.regulator(session)
    assert sign_in(client, username(actor)).status_code == 302
    return actor


def rows_of(html: str) -> dict[int, list[str]]:
    """The listed batches: batch id -> the texts of its cells, tags stripped."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1) if body else "", re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", cell).split())
                 for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[int(cells[0])] = cells
    return rows


def listed(client, query: str = "") -> dict[int, list[str]]:
    response = client.get(f"/regulator/batches{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return rows_of(response.get_data(as_text=True))


def every_id_number(session) -> list[str]:
    numbers = list(session.exec(select(Candidate.id_number)))
    assert len(numbers) == 5
    return numbers


def test_the_list_shows_every_bodys_batches_newest_first_with_their_counts(client, session, world, regulator):
    html = client.get("/regulator/batches").get_data(as_text=True)
    rows = rows_of(html)
    issued, submitted, draft = world["issued"].id, world["submitted"].id, world["draft"].id
    assert list(rows) == [submitted, issued, draft]  # the latest assessment first, then the latest opened
    assert "共 3 个批次" in html
    a_name, b_name = world["a"].name, world["b"].name
    # id, body, standard, level, work type, date, status, candidates, passed, certificates
    assert rows[issued] == [str(issued), a_name, "电工 6-31-01-03（2018年版）", "四级/中级工", "无", "2026年5月10日",
                            "已发证", "3", "2", "2"]
    assert rows[submitted] == [str(submitted), b_name, "电工 6-31-01-03（2018年版）", "四级/中级工", "无",
                               "2026年5月10日", "待审核", "2", "2", "0"]
    assert rows[draft] == [str(draft), b_name, "网约配送员 4-02-07-10（2021年版）", "五级/初级工", "无", "2026年3月2日",
                           "草稿", "0", "0", "0"]
    assert f'href="/regulator/bodies/{world["a"].id}"' in html and f'href="/regulator/bodies/{world["b"].id}"' in html
    assert f'href="/regulator/batches/{issued}"' in html
    assert re.search(r'<a href="/regulator/batches" aria-current="page">认定批次</a>', html)  # in the nav
    assert 'href="/regulator/batches"' in client.get("/regulator").get_data(as_text=True)

    english = rows_of(client.get("/regulator/batches?lang=en").get_data(as_text=True))
    assert english[issued][2:4] == ["Electrician 6-31-01-03 (2018 edition)", "Level 4 / Intermediate Worker"]
    assert english[issued][6] == "Issued"


def test_a_reissued_certificate_is_not_counted_twice(client, session, world, regulator):
    first = world["certificates"][0]
    new = reissue_certificate(session, number=first.number, holder_name="王伟明", reason="姓名更正",
                              actor=world["a_supervisor"], vault=f.VAULT, now=f.NOW)
    issued = world["issued"].id
    assert listed(client)[issued][-3:] == ["3", "2", "2"]
    html = client.get(f"/regulator/batches/{issued}").get_data(as_text=True)
    assert new.number in html and re.search(rf"{first.number}</span> <span class=\"muted\">\(已被替代\)", html)


@pytest.mark.parametrize(("query", "expected"), [
    ("?body={a}", ["issued"]),
    ("?body={b}", ["submitted", "draft"]),
    ("?status=submitted", ["submitted"]),
    ("?status=issued", ["issued"]),
    ("?status=returned", []),
    (f"?code={DELIVERY}", ["draft"]),
    ("?code=6-31-01-03", ["submitted", "issued"]),
    ("?from=2026-05-10", ["submitted", "issued"]),
    ("?to=2026-05-09", ["draft"]),
    ("?from=2026-03-02&to=2026-03-02", ["draft"]),
    ("?body={b}&code=6-31-01-03&status=submitted&from=2026-05-01&to=2026-05-31", ["submitted"]),
    ("?status=nonsense&body=", ["submitted", "issued", "draft"]),  # an unknown value does not narrow
])
def test_each_filter_narrows_the_list(client, world, regulator, query, expected):
    rows = listed(client, query.format(a=world["a"].id, b=world["b"].id))
    assert list(rows) == [world[name].id for name in expected]


def test_the_filters_are_labelled_and_keep_their_values(client, world, regulator):
    html = client.get(f"/regulator/batches?body={world['b'].id}&status=draft&code={DELIVERY}&from=2026-01-01"
                      ).get_data(as_text=True)
    for control in ("body", "status", "code", "from", "to"):
        assert f'<label for="{control}">' in html and f'id="{control}" name="{control}"' in html
    assert f'<option value="{world["b"].id}" selected' in html
    assert '<option value="draft" selected>草稿</option>' in html
    assert f'<option value="{DELIVERY}" selected>' in html
    assert 'value="2026-01-01"' in html
    assert 'th scope="col"' in html and 'th scope="row"' in html and 'data-label="考生人数"' in html
    assert "没有符合条件的批次" in client.get("/regulator/batches?status=returned").get_data(as_text=True)


@pytest.mark.parametrize("query", ["?from=2026-13-01", "?to=yesterday", "?from=2026-05-11&to=2026-05-10"])
def test_a_wrong_date_is_named_and_lists_nothing(client, world, regulator, query):
    response = client.get(f"/regulator/batches{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="(from|to)-error">[^<]+</p>', html)
    assert 'aria-invalid="true"' in html and rows_of(html) == {}


def test_fifty_to_a_page(client, session, world, regulator):
    """50 more batches assessed later than the others fill the first page; the first three move to the second."""
    creator = session.exec(select(User).where(User.body_id == world["a"].id)).first()
    template = world["issued"]
    session.add_all([Batch(body_id=template.body_id, standard_id=template.standard_id, level=4,
                           assessed_on=date(2026, 5, 15), place="实训楼", created_by=creator.id,
                           created_at=f.NOW) for _ in range(50)])
    session.commit()  # a request ends by rolling back what is not committed
    first = client.get("/regulator/batches").get_data(as_text=True)
    assert len(rows_of(first)) == 50 and "共 53 个批次" in first and "第 1 页，共 2 页" in first
    assert world["issued"].id not in rows_of(first)
    assert 'rel="next" href="/regulator/batches?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/regulator/batches?page=2").get_data(as_text=True)
    assert list(rows_of(second)) == [world["submitted"].id, world["issued"].id, world["draft"].id]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    filtered = client.get(f"/regulator/batches?body={world['b'].id}").get_data(as_text=True)
    assert len(rows_of(filtered)) == 2 and 'class="pager"' not in filtered  # the filter counts, not the table
    kept = client.get(f"/regulator/batches?body={world['a'].id}&page=1").get_data(as_text=True)
    assert f'href="/regulator/batches?body={world["a"].id}&amp;page=2"' in kept  # the pager keeps the filter


def test_the_counts_cost_the_same_two_queries_for_any_number_of_batches(session, world):
    regulator = f.regulator(session)
    statements: list[str] = []

    def note(connection, cursor, statement, *rest):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", note)
    try:
        listing = batch_register.find_batches(session, batch_register.BatchSearch(), actor=regulator)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    assert [(row.candidates, row.passed, row.certificates) for row in listing.batches] == [
        (2, 2, 0), (3, 2, 2), (0, 0, 0)]
    assert len(statements) == 2  # the count and the page, the counts joined in as grouped subqueries
    assert all("GROUP BY" in s for s in statements[1:])


def test_only_the_regulator_may_read_the_register(session, world):
    for actor in (world["b_assessor"], world["a_supervisor"]):
        with pytest.raises(Forbidden):
            batch_register.find_batches(session, batch_register.BatchSearch(), actor=actor)
        with pytest.raises(Forbidden):
            batch_register.batch_file(session, batch_id=world["submitted"].id, actor=actor)


def test_id_numbers_never_on_the_list_and_only_masked_on_the_batch_page(client, session, world, regulator):
    numbers = every_id_number(session)
    for query in ("", "?status=issued", f"?body={world['b'].id}", "?lang=en"):
        html = client.get(f"/regulator/batches{query}").get_data(as_text=True)
        assert not [n for n in numbers if n in html or mask_id(n) in html], query

    issued = client.get(f"/regulator/batches/{world['issued'].id}?lang=zh").get_data(as_text=True)
    candidates = session.exec(select(Candidate).where(Candidate.batch_id == world["issued"].id)).all()
    for candidate in candidates:
        assert candidate.name in issued and mask_id(candidate.id_number) in issued
    assert not [n for n in numbers if n in issued]
    table = re.search(r"<tbody>(.*?)</tbody>", issued, re.S).group(1)
    for cert in world["certificates"]:
        assert f'<span class="mono">{cert.number}</span>' in table  # shown, not linked
    assert table.count('<td data-label="结果">合格</td>') == 2 and table.count('<td data-label="结果">不合格</td>') == 1
    assert table.count("<a ") == 0 and table.count('<th scope="row"') == 3
    assert table.count("居民身份证") == 3 and 'data-label="理论知识考试"' in table
    assert world["a"].name in issued and "电工" in issued and "四级/中级工" in issued and "已发证" in issued


def test_the_batch_page_reads_any_bodys_batch_and_an_unknown_one_is_not_found(client, session, world, regulator):
    draft = client.get(f"/regulator/batches/{world['draft'].id}")
    html = draft.get_data(as_text=True)
    assert draft.status_code == 200 and "还没有考生" in html and "配送站" in html and world["b"].name in html
    submitted = client.get(f"/regulator/batches/{world['submitted'].id}?lang=en").get_data(as_text=True)
    assert '<th scope="col" class="number">Theory examination</th>' in submitted
    assert "Resident identity card" in submitted and "Awaiting review" in submitted
    assert client.get("/regulator/batches/999999").status_code == 404
    assert client.get("/regulator/batches/abc").status_code == 404


def test_body_staff_are_refused_and_strangers_sent_to_sign_in(client, session, world):
    paths = ["/regulator/batches", f"/regulator/batches?body={world['a'].id}",
             f"/regulator/batches/{world['issued'].id}", f"/regulator/batches/{world['submitted'].id}"]
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    for role in ("body_admin", "assessor", "supervisor"):
        staff = f.staff(session, world["a"], role)
        assert sign_in(client, username(staff)).status_code == 302
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 403, (role, path)
            assert world["b"].name not in answer.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": token(client.get("/").get_data(as_text=True))})


@pytest.mark.slow
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_batch_pages_pass_axe_in_a_real_browser(browser, server, viewport):  # noqa: F811
    """axe-core (WCAG 2.1 AA and best practice) on the list, a refused filter and an issued batch, both languages."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE} missing: run `npm ci`)")
    app, base = server
    with app.app_context():
        issued = next(b.id for b in batch_service.list_batches(get_session(), status="issued"))
    pages = {"batches": "/regulator/batches", "batches-refused": "/regulator/batches?from=2026-13-01",
             "batch": f"/regulator/batches/{issued}"}
    for language in ("zh", "en"):
        # axe is injected as an inline script, which the pages' CSP refuses: this context alone bypasses it.
        context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True,
                                      locale="zh-CN" if language == "zh" else "en-US")
        page = context.new_page()
        page.goto(f"{base}/login?lang={language}")
        page.fill("#username", "regulator")
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form.lookup button[type=submit]").click()
        page.wait_for_url(f"{base}/regulator")
        for name, path in pages.items():
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            assert page.locator("table, #from-error").count() >= 1, (name, language)
            shoot(page, f"regulator-{name}-{viewport}-{language}")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
                ".then(results => results.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' ')))",
                AXE_TAGS)
            assert violations == [], (name, language, violations)
        context.close()

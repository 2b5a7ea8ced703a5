"""The body console through the browser's eyes: a batch from opening to issuance, certificates, staff; and the
walls between bodies and between roles."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

import standards
from certificates import make_resident_id, mask_id
from certificates.pades import check_pdf_signature
from certificates.pki import load_certificate_pem
from registry.models import AuditEvent, Batch, Candidate, Certificate, Revocation, SigningKey, User
from registry.services.batches import candidates_of
from registry.services.clock import CHINA
from registry.services.keys import root_key
from registry.services.sheets import PastedRowsRejected, parse_rows
from tests import factories as f
from tests.web.test_staff import sign_in, username

TOKEN = re.compile(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"')


def token(client) -> str:
    return TOKEN.search(client.get("/console").get_data(as_text=True)).group(1)


def post(client, url: str, data: dict[str, str] | None = None, *, prefix: str | None = None, **kwargs):
    """A form post with the session's CSRF token, under the form's prefix when it has one."""
    csrf = token(client)
    fields = {"csrf_token": csrf, **({f"{prefix}-csrf_token": csrf} if prefix else {})}
    fields.update({f"{prefix}-{k}" if prefix else k: v for k, v in (data or {}).items()})
    return client.post(url, data=fields, **kwargs)


def switch_to(client, actor) -> None:
    client.post("/logout", data={"csrf_token": token(client)})
    assert sign_in(client, username(actor)).status_code == 302


def text(response) -> str:
    return response.get_data(as_text=True)


def resident(n: int) -> str:
    return make_resident_id("440106", date(1990, 1, 1 + n), 100 + n)


def open_batch_by_form(client) -> int:
    response = post(client, "/console/batches/new", {
        "assessment": "6-31-01-03@2018|4|", "assessed_on": f.ASSESSED_ON.isoformat(), "place": "广州市天河区实训基地",
    })
    assert response.status_code == 302, text(response)
    return int(re.search(r"/console/batches/(\d+)$", response.headers["Location"]).group(1))


def test_the_body_story_from_opening_a_batch_to_reissue(client, session):
    f.publish_catalogue(session)
    body = f.body(session)
    assessor, supervisor = f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")
    admin = f.staff(session, body, "body_admin")

    sign_in(client, username(assessor))
    home = text(client.get("/console"))
    assert body.name in home and "电工" in home and "草稿" in home
    form = text(client.get("/console/batches/new"))
    assert 'value="6-31-01-03@2018|4|"' in form and "四级/中级工" in form

    # A service refusal shows next to the field it names
    future = (f.NOW.astimezone(CHINA).date() + timedelta(days=3650)).isoformat()
    refused = post(client, "/console/batches/new",
                   {"assessment": "6-31-01-03@2018|4|", "assessed_on": future, "place": "广州"})
    assert refused.status_code == 422
    assert re.search(r'id="assessed_on-error">.*晚于今天', text(refused), re.S)

    batch_id = open_batch_by_form(client)
    batch_url = f"/console/batches/{batch_id}"

    # One candidate by the form: fails the skills component, and the page says which and why
    added = post(client, f"{batch_url}/candidates", {"name": "王小明", "id_type": "resident", "id_number": resident(1),
                                                     "score_theory": "80", "score_skill": "55"}, prefix="one")
    assert added.status_code == 302
    page = text(client.get(batch_url))
    assert "王小明" in page and resident(1) in page and "不合格" in page
    assert "技能考核 55 分，低于合格线 60 分" in page

    # Pasted rows: one bad ID number and one bad score, so nothing is written and each cell is named
    bad = "姓名\t证件类型\t证件号码\t理论\t技能\n" \
          f"李芳\t居民身份证\t{resident(2)}\t90\t88\n" \
          "张伟\t居民身份证\t110105194912310021\t70\t70\n" \
          f"刘洋\tresident\t{resident(4)}\t75\tabc\n"
    rejected = post(client, f"{batch_url}/paste", {"rows": bad}, prefix="paste")
    assert rejected.status_code == 422
    shown = text(rejected)
    assert "第 3 行第 3 列（证件号码）" in shown and "第 4 行第 5 列（技能考核）" in shown and "未录入任何考生" in shown
    assert len(candidates_of(session, batch_id)) == 1
    in_english = post(client, f"{batch_url}/paste?lang=en", {"rows": bad}, prefix="paste")
    assert "Row 3, column 3 (ID number)" in text(in_english)
    client.get("/console?lang=zh")  # the choice is kept in a cookie: back to Chinese

    good = f"李芳,居民身份证,{resident(2)},90,88\n刘洋,resident,{resident(4)},75,80\n陈静,身份证,{resident(5)},61,59\n"
    assert post(client, f"{batch_url}/paste", {"rows": good}, prefix="paste").status_code == 302
    assert len(candidates_of(session, batch_id)) == 4

    # Correct the first candidate's score: now passes
    first = candidates_of(session, batch_id)[0]
    edit = text(client.get(f"{batch_url}/candidates/{first.id}"))
    assert 'value="55"' in edit and 'value="王小明"' in edit and f'value="{resident(1)}"' in edit
    saved = post(client, f"{batch_url}/candidates/{first.id}", {
        "name": "王小明", "id_type": "resident", "id_number": resident(1), "score_theory": "80", "score_skill": "70",
    }, prefix="one")
    assert saved.status_code == 302
    first = session.get(Candidate, first.id)
    assert first.passed and first.scores == {"theory": 80, "skill": 70}

    assert post(client, f"{batch_url}/submit").status_code == 302
    assert session.get(Batch, batch_id).status == "submitted"
    assert "已提交，等待质量督导员审核" in text(client.get(batch_url))

    # The supervisor returns it with a reason; a return without one is refused
    switch_to(client, supervisor)
    assert post(client, f"{batch_url}/return", {"reason": ""}, prefix="return").status_code == 422
    assert post(client, f"{batch_url}/return", {"reason": "陈静的技能成绩需复核"}, prefix="return").status_code == 302
    batch = session.get(Batch, batch_id)
    assert batch.status == "returned" and batch.return_reason == "陈静的技能成绩需复核"

    switch_to(client, assessor)
    assert "陈静的技能成绩需复核" in text(client.get(batch_url))
    assert post(client, f"{batch_url}/submit").status_code == 302

    switch_to(client, supervisor)
    approved = post(client, f"{batch_url}/approve")
    assert approved.status_code == 302
    certs = session.exec(select(Certificate).where(Certificate.batch_id == batch_id)).all()
    assert sorted(c.holder_name for c in certs) == ["刘洋", "李芳", "王小明"]  # 陈静 failed
    page = text(client.get(batch_url))
    for cert in certs:
        assert f"/console/certificates/{cert.number}.pdf" in page
    listing = text(client.get("/console/certificates"))
    assert all(c.number in listing for c in certs)
    found = text(client.get("/console/certificates", query_string={"q": "李芳"}))
    assert "共 1 本证书" in found

    pdf = client.get(f"/console/certificates/{certs[0].number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert check_pdf_signature(pdf.data, [load_certificate_pem(root_key(session).certificate_pem)]).ok
    bundle = client.get(f"{batch_url}/bundle.pdf")
    assert bundle.status_code == 200 and bundle.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(bundle.data)).pages) == 3

    # Revoke one (a note is needed for "other"), reissue another with the name corrected
    revoked, corrected = certs[0], certs[1]
    cert_url = f"/console/certificates/{revoked.number}"
    assert "撤销证书" in text(client.get(cert_url))
    missing_note = post(client, f"{cert_url}/revoke", {"reason": "other", "note": ""}, prefix="revoke")
    assert missing_note.status_code == 422
    assert re.search(r'id="revoke-note-error">.*须填写说明', text(missing_note), re.S)
    done = post(client, f"{cert_url}/revoke", {"reason": "issued-in-error", "note": "重复录入"}, prefix="revoke")
    assert done.status_code == 302
    assert session.get(Certificate, revoked.id).status == "revoked"
    revocation = session.exec(select(Revocation).where(Revocation.certificate_id == revoked.id)).one()
    assert revocation.reason == "issued-in-error" and revocation.note == "重复录入"
    assert "误发" in text(client.get(cert_url))

    reissued = post(client, f"/console/certificates/{corrected.number}/reissue",
                    {"holder_name": corrected.holder_name + "华", "id_type": corrected.id_type,
                     "id_number": corrected.id_number, "reason": "姓名漏字"}, prefix="reissue")
    assert reissued.status_code == 302
    new_number = reissued.headers["Location"].rsplit("/", 1)[1]
    new = session.exec(select(Certificate).where(Certificate.number == new_number)).one()
    assert session.get(Certificate, corrected.id).status == "superseded" and new.supersedes_id == corrected.id
    assert new.holder_name == corrected.holder_name + "华"
    assert corrected.number in text(client.get(f"/console/certificates/{new_number}"))
    # The print bundle holds the valid certificates only: one untouched, one reissued
    bundle = client.get(f"{batch_url}/bundle.pdf")
    assert len(PdfReader(io.BytesIO(bundle.data)).pages) == 2

    # The body admin creates a staff account and closes it again
    switch_to(client, admin)
    body_page = text(client.get("/console/body"))
    assert "6-31-01-03" in body_page and "新建账号" in body_page
    created = post(client, "/console/body/staff", {"username": "new.assessor", "display_name": "新考评员",
                                                   "role": "assessor", "password": "a long enough password"})
    assert created.status_code == 302
    user = session.exec(select(User).where(User.username == "new.assessor")).one()
    assert user.body_id == body.id and user.role == "assessor" and user.active
    short = post(client, "/console/body/staff", {"username": "x.y.z", "display_name": "某人", "role": "assessor",
                                                 "password": "short"})
    assert short.status_code == 422 and re.search(r'id="password-error">.*至少 10 个字符', text(short), re.S)
    assert post(client, f"/console/body/staff/{user.id}/deactivate").status_code == 302
    assert not session.get(User, user.id).active


def test_a_candidate_is_corrected_or_removed_until_the_batch_is_submitted(client, session):
    f.publish_catalogue(session)
    body = f.body(session)
    assessor, supervisor = f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")
    sign_in(client, username(assessor))
    batch_id = open_batch_by_form(client)
    batch_url = f"/console/batches/{batch_id}"
    rows = (f"王小明,resident,{resident(1)},80,80\n李芳,resident,{resident(2)},70,70\n"
            f"陈静,resident,{resident(3)},65,50\n")
    assert post(client, f"{batch_url}/paste", {"rows": rows}, prefix="paste").status_code == 302
    first, second, third = candidates_of(session, batch_id)

    def edit(candidate, **changes: str):
        data = {"name": candidate.name, "id_type": candidate.id_type, "id_number": candidate.id_number,
                **{f"score_{k}": str(v) for k, v in candidate.scores.items()}, **changes}
        return post(client, f"{batch_url}/candidates/{candidate.id}", data, prefix="one")

    # A typo in the ID number: the new one is checked like at entry, and must not belong to another candidate
    bad = edit(first, id_number=resident(1)[:-1] + ("0" if resident(1)[-1] != "0" else "1"))
    assert bad.status_code == 422 and re.search(r'id="one-id_number-error"><p>[^<]*校验', text(bad))
    taken = edit(first, id_number=resident(2))
    assert taken.status_code == 422
    assert re.search(r'id="one-id_number-error"><p>[^<]*已有考生', text(taken)), text(taken)
    assert session.get(Candidate, first.id).id_number == resident(1)
    assert edit(first, id_number=resident(7), name="王晓明").status_code == 302
    corrected = session.get(Candidate, first.id)
    assert (corrected.name, corrected.id_number) == ("王晓明", resident(7))
    page = text(client.get(batch_url))
    assert "王晓明" in page and resident(7) in page and resident(1) not in page

    # Removing a candidate takes them out of the batch; the audit trail keeps who and what, ID masked
    assert post(client, f"{batch_url}/candidates/{third.id}/remove").status_code == 302
    assert [c.name for c in candidates_of(session, batch_id)] == ["王晓明", "李芳"]
    trail = session.exec(select(AuditEvent).where(AuditEvent.object_type == "candidate")).all()
    actions = {e.action: e for e in trail}
    assert actions["candidate.updated"].before["name"] == "王小明"
    assert actions["candidate.updated"].after["id_number"] == mask_id(resident(7))
    assert actions["candidate.removed"].before["name"] == "陈静"
    assert all(resident(n) not in str((e.before, e.after)) for e in trail for n in (1, 3, 7))

    # Once submitted, nothing about the candidates changes, by edit or removal
    assert post(client, f"{batch_url}/submit").status_code == 302
    assert "不能再修改" in text(client.get(f"{batch_url}/candidates/{second.id}"))
    assert edit(session.get(Candidate, second.id), name="别人").status_code == 409
    assert post(client, f"{batch_url}/candidates/{second.id}/remove").status_code == 409
    assert session.get(Candidate, second.id).name == "李芳"
    # A supervisor never edits candidates, even of a batch being prepared
    switch_to(client, supervisor)
    assert post(client, f"{batch_url}/return", {"reason": "复核"}, prefix="return").status_code == 302
    assert edit(session.get(Candidate, second.id), name="别人").status_code == 403
    assert post(client, f"{batch_url}/candidates/{second.id}/remove").status_code == 403
    assert post(client, f"{batch_url}/candidates/999999/remove").status_code == 404


def test_the_body_page_shows_the_key_but_no_private_material(client, session):
    f.publish_catalogue(session)
    body = f.body(session)
    sign_in(client, username(f.staff(session, body, "supervisor")))
    page = text(client.get("/console/body"))
    key = session.exec(select(SigningKey).where(SigningKey.body_id == body.id)).one()
    assert key.key_id in page and "PRIVATE" not in page and "新建账号" not in page


def test_staff_see_and_change_only_their_own_body(client, session):
    other = f.issued_batch(session, count=2)  # body B: an issued batch
    other_submitted = f.submitted_batch(session, other.body, other.assessor, count=1, start=10)
    other_candidate = candidates_of(session, other_submitted.id)[0]
    other_user = f.staff(session, other.body, "assessor")
    body = f.body(session)
    supervisor, admin = f.staff(session, body, "supervisor"), f.staff(session, body, "body_admin")
    number = other.certificates[0].number
    batch_id = other.certificates[0].batch_id

    for actor in (supervisor, admin):
        sign_in(client, username(actor))
        for url in (f"/console/batches/{batch_id}", f"/console/batches/{other_submitted.id}",
                    f"/console/batches/{other_submitted.id}/candidates/{other_candidate.id}",
                    f"/console/certificates/{number}", f"/console/certificates/{number}.pdf",
                    f"/console/batches/{batch_id}/bundle.pdf"):
            assert client.get(url).status_code == 404, url
        searched = text(client.get("/console/certificates", query_string={"q": number}))
        assert "共 0 本证书" in searched and f"/console/certificates/{number}" not in searched
        refused = [
            post(client, f"/console/batches/{other_submitted.id}/approve"),
            post(client, f"/console/batches/{other_submitted.id}/return", {"reason": "不行"}, prefix="return"),
            post(client, f"/console/batches/{other_submitted.id}/submit"),
            post(client, f"/console/batches/{batch_id}/candidates", {"name": "王五", "id_type": "resident",
                                                                      "id_number": resident(9)}, prefix="one"),
            post(client, f"/console/batches/{other_submitted.id}/paste", {"rows": f"王五,resident,{resident(9)},80,80"},
                 prefix="paste"),
            post(client, f"/console/batches/{other_submitted.id}/candidates/{other_candidate.id}",
                 {"name": "别人", "id_type": "resident", "id_number": resident(9), "score_theory": "1",
                  "score_skill": "1"}, prefix="one"),
            post(client, f"/console/batches/{other_submitted.id}/candidates/{other_candidate.id}/remove"),
            post(client, f"/console/certificates/{number}/revoke", {"reason": "fraud", "note": ""}, prefix="revoke"),
            post(client, f"/console/certificates/{number}/reissue",
                 {"holder_name": "别人", "id_type": "resident", "id_number": resident(8), "reason": "x"},
                 prefix="reissue"),
            post(client, f"/console/body/staff/{other_user.user_id}/deactivate"),
        ]
        assert [r.status_code for r in refused] == [404] * len(refused)
        client.post("/logout", data={"csrf_token": token(client)})

    assert session.get(Batch, other_submitted.id).status == "submitted"
    assert session.get(Certificate, other.certificates[0].id).status == "valid"
    assert session.get(User, other_user.user_id).active
    assert session.get(Candidate, other_candidate.id).scores == {"theory": 75, "skill": 75}


def test_roles_inside_a_body(client, session):
    f.publish_catalogue(session)
    body = f.body(session)
    assessor, supervisor = f.staff(session, body, "assessor"), f.staff(session, body, "supervisor")
    batch = f.submitted_batch(session, body, f.staff(session, body, "assessor"), count=2)

    # An assessor cannot approve, nor revoke
    sign_in(client, username(assessor))
    refused = post(client, f"/console/batches/{batch.id}/approve")
    assert refused.status_code == 403 and "质量督导员" in text(refused)
    assert session.get(Batch, batch.id).status == "submitted"
    assert "批准并签发" not in text(client.get(f"/console/batches/{batch.id}"))

    # A supervisor cannot create staff accounts, nor open batches
    switch_to(client, supervisor)
    created = post(client, "/console/body/staff", {"username": "sneaky.admin", "display_name": "某人",
                                                   "role": "body_admin", "password": "a long enough password"})
    assert created.status_code == 403
    assert session.exec(select(User).where(User.username == "sneaky.admin")).first() is None
    assert "新建账号" not in text(client.get("/console/body"))
    opened = post(client, "/console/batches/new",
                  {"assessment": "6-31-01-03@2018|4|", "assessed_on": f.ASSESSED_ON.isoformat(), "place": "广州"})
    assert opened.status_code == 403

    # The supervisor approves; then the assessor cannot revoke
    assert post(client, f"/console/batches/{batch.id}/approve").status_code == 302
    number = session.exec(select(Certificate).where(Certificate.batch_id == batch.id)).first().number
    switch_to(client, assessor)
    refused = post(client, f"/console/certificates/{number}/revoke", {"reason": "fraud", "note": ""},
                   prefix="revoke")
    assert refused.status_code == 403
    assert session.exec(select(Certificate).where(Certificate.number == number)).one().status == "valid"


def test_the_console_is_for_body_staff_only(client, session):
    assert client.get("/console/batches/new").status_code == 302  # strangers sign in first
    sign_in(client, username(f.regulator(session)))
    assert client.get("/console").status_code == 403
    assert client.get("/console/certificates").status_code == 403


def test_console_pages_are_never_cached(client, session):
    f.publish_catalogue(session)
    sign_in(client, username(f.staff(session, f.body(session), "assessor")))
    assert client.get("/console").headers["Cache-Control"] == "private, no-store"


REVIEWED = standards.load_file(standards.DATA_DIR / "6-31-01-03@2018.toml").level(2)  # theory, skill, review


def test_pasted_rows_accept_what_spreadsheets_produce():
    rows = parse_rows(
        "姓名\t证件类型\t证件号码\t理论\t技能\t综合评审\n"
        f"\n王 芳\t居民身份证\t{resident(1).lower()}\t８５\t70\t\n"  # full-width digits; review not scored yet
        '"John Smith",护照,E12345678,90,91,92\n'
        f"李四，身份证，{resident(2)}，60，60，60\n",  # Chinese commas
        REVIEWED,
    )
    assert [(r.name, r.id_type) for r in rows] == [("王 芳", "resident"), ("John Smith", "passport"),
                                                   ("李四", "resident")]
    assert rows[0].scores == {"theory": 85, "skill": 70, "review": None} and rows[0].id_number == resident(1)


@pytest.mark.parametrize(("pasted", "expected"), [
    (f"王芳,居民身份证,{resident(1)},80,80,80,80", "第 1 行第 7 列（多余的列）"),
    ("王芳,驾驶证,123,80,80,80", "第 1 行第 2 列（证件类型）"),
    (f"王芳,居民身份证,{resident(1)},101,80,80", "第 1 行第 4 列（理论知识考试）"),
    (f"王芳,居民身份证,{resident(1)},80,80,80\n李四,居民身份证,{resident(1)},80,80,80", "与第 1 行的证件号码重复"),
    (f"王芳,居民身份证,{resident(1)},80,80,80\n王#,居民身份证,{resident(2)},80,80,80", "第 2 行第 1 列（姓名）"),
])
def test_pasted_rows_are_refused_cell_by_cell(pasted, expected):
    with pytest.raises(PastedRowsRejected) as refused:
        parse_rows(pasted, REVIEWED)
    assert any(expected in error.message("zh") for error in refused.value.errors), refused.value.errors


def test_pasted_rows_already_in_the_batch_are_refused():
    with pytest.raises(PastedRowsRejected) as refused:
        parse_rows(f"王芳,居民身份证,{resident(1)},80,80,80", REVIEWED, existing={("resident", resident(1))})
    error = refused.value.errors[0]
    assert error.message("en") == "Row 1, column 3 (ID number): This ID number is already in the batch."

"""The console's spreadsheet import on a batch page: the template, an upload that adds every row or none, the
refused cells in a table (or as an XLSX report), the configured limits, and who may import into which batch."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from sqlmodel import select

from certificates import make_resident_id
from registry.models import Batch, Candidate
from registry.services import batches as batch_service
from tests import factories as f
from tests.web.test_console import TOKEN, switch_to, text
from tests.web.test_staff import sign_in, username

HEADER = ["姓名", "证件类型", "证件号码", "理论知识考试", "技能考核"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A refused cell in the table: (row, column, column name), the row as 第 3 行 or Row 3
ERROR_ROW = re.compile(r'<tr>\s*<th scope="row">(?:第 |Row )(\d+)(?: 行)?</th>'
                       r'\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>([^<]+)</td>')


def resident(n: int) -> str:
    return make_resident_id("440106", date(1988, 1, 1) + timedelta(days=n), n % 1000)


def csv_file(count: int, *, start: int = 0) -> bytes:
    lines = [f"{f.SURNAMES[i % 25]}{f.GIVEN[i % 18]},居民身份证,{resident(i)},{70 + i % 30},{55 + i % 40}"
             for i in range(start, start + count)]
    return "\n".join([",".join(HEADER), *lines]).encode()


def xlsx_file(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("考生名单")
    for row in [HEADER, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, batch_id: int, data: bytes, name: str, *, report: bool = False, lang: str | None = None):
    """The upload form as a browser posts it: multipart, with the session's CSRF token under the form's prefix."""
    csrf = TOKEN.search(text(client.get("/console"))).group(1)
    fields: dict[str, object] = {"import-csrf_token": csrf, "import-file": (io.BytesIO(data), name)}
    if report:
        fields["import-report"] = "y"
    return client.post(f"/console/batches/{batch_id}/import", data=fields, content_type="multipart/form-data",
                       query_string={"lang": lang} if lang else None)


def count(session, batch_id: int) -> int:
    session.expire_all()
    return len(session.exec(select(Candidate).where(Candidate.batch_id == batch_id)).all())


@pytest.fixture
def desk(client, session):
    """A body with its staff, an open batch, and its assessor signed in."""
    f.publish_catalogue(session)
    body = f.body(session)
    staff = {role: f.staff(session, body, role) for role in ("assessor", "supervisor", "body_admin")}
    batch = f.open_batch(session, body, staff["assessor"])
    assert sign_in(client, username(staff["assessor"])).status_code == 302
    return batch, staff


def test_a_good_csv_adds_every_candidate(client, session, desk):
    batch, _ = desk
    page = text(client.get(f"/console/batches/{batch.id}"))
    form = re.search(r'<form[^>]*action="/console/batches/\d+/import[^"]*"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in form and 'method="post"' in form
    assert f'href="/console/batches/{batch.id}/template.xlsx"' in page
    assert re.search(r'<label for="import-file">[^<]+</label>', page)
    assert re.search(r'<input[^>]*aria-describedby="import-file-hint"[^>]*type="file"', page)
    assert "不超过 20 MB，最多 100,000 名考生" in page

    added = upload(client, batch.id, csv_file(3), "考生名单.csv")
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/console/batches/{batch.id}#candidates")
    shown = text(client.get(f"/console/batches/{batch.id}"))
    assert "已导入 3 名考生。" in shown
    assert count(session, batch.id) == 3
    assert all(resident(i) in shown for i in range(3))


def test_a_bad_xlsx_lists_its_errors_and_writes_nothing(client, session, desk):
    batch, _ = desk
    bad = xlsx_file([["王芳", "居民身份证", resident(1), 80, 80],
                     ["李强", "居民身份证", "110105194912310021", 70, 70],  # wrong check digit
                     ["张伟", "身份证", resident(3), 75, "九十"]])
    refused = upload(client, batch.id, bad, "成绩.xlsx")
    assert refused.status_code == 422
    page = text(refused)
    assert "文件有 2 处错误，未导入任何考生。" in page
    cells = ERROR_ROW.findall(page)
    assert cells == [("3", "3", "证件号码"), ("4", "5", "技能考核")]
    assert count(session, batch.id) == 0

    english = text(upload(client, batch.id, bad, "成绩.xlsx", lang="en"))
    cells = ERROR_ROW.findall(english)
    assert cells == [("3", "3", "ID number"), ("4", "5", "Practical skills assessment")]
    table = english.split('id="import-heading"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert "ID number check character is wrong" in table and "score must be a whole number 0-100" in table
    assert count(session, batch.id) == 0


def test_many_errors_show_the_first_hundred_and_the_report_has_them_all(client, session, desk):
    batch, _ = desk
    bad = csv_file(150).replace(",居民身份证,".encode(), ",护照X,".encode())  # no such 证件类型, in every row
    page = text(upload(client, batch.id, bad, "s.csv"))
    assert "文件有 150 处错误" in page and "下表列出前 100 处。" in page
    assert len(re.findall(r'<th scope="row">第 \d+ 行</th>\s*<td data-label="列">2</td>', page)) == 100

    report = upload(client, batch.id, bad, "s.csv", report=True)
    assert report.status_code == 200 and report.mimetype == XLSX  # a browser saves only a successful answer
    assert report.headers["Content-Disposition"] == f'attachment; filename="batch-{batch.id}-errors.xlsx"'
    rows = list(openpyxl.load_workbook(io.BytesIO(report.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("行", "列", "列名", "问题") and len(rows) == 151
    assert rows[1][:3] == (2, 2, "证件类型")
    assert count(session, batch.id) == 0

    # The report button with a good file imports it, as the API's ?errors=xlsx does
    assert upload(client, batch.id, csv_file(2), "s.csv", report=True).status_code == 302
    assert count(session, batch.id) == 2


def test_a_file_refused_whole_or_missing_is_named_at_the_field(client, session, desk):
    batch, _ = desk
    old = upload(client, batch.id, b"\xd0\xcf\x11\xe0 old excel", "成绩.xls")
    assert old.status_code == 422
    assert re.search(r'id="import-file-error"><p>不支持旧版 .xls 文件', text(old))
    missing = upload(client, batch.id, b"", "")
    assert missing.status_code == 422 and re.search(r'id="import-file-error"><p>请选择要导入的文件。', text(missing))
    assert count(session, batch.id) == 0


def test_the_configured_limits_are_stated_and_applied(app, client, session, desk):
    batch, _ = desk
    app.config.update(IMPORT_MAX_BYTES=1536 * 1024, IMPORT_MAX_ROWS=2000)
    page = text(client.get(f"/console/batches/{batch.id}"))
    assert "不超过 1.5 MB，最多 2,000 名考生" in page
    app.config.update(IMPORT_MAX_ROWS=2)
    too_many = upload(client, batch.id, csv_file(3), "s.csv")
    assert too_many.status_code == 422 and "文件超过 2 行考生" in text(too_many)

    # Larger than any upload may be: refused before the body is read, with a page saying so
    app.config.update(MAX_CONTENT_LENGTH=1024)
    huge = upload(client, batch.id, csv_file(100), "s.csv")
    assert huge.status_code == 413
    assert "上传的文件过大" in text(huge) and "不能超过 1.5 MB" in text(huge)
    assert count(session, batch.id) == 0


def test_the_template_is_a_workbook_for_the_batch_level(app, client, session, desk):
    batch, staff = desk
    app.config.update(IMPORT_MAX_ROWS=800)
    for role in ("assessor", "supervisor"):  # reading: any of the body's staff
        switch_to(client, staff[role])
        template = client.get(f"/console/batches/{batch.id}/template.xlsx")
        assert template.status_code == 200 and template.mimetype == XLSX
        assert template.headers["Content-Disposition"] == f'attachment; filename="batch-{batch.id}-template.xlsx"'
        assert template.headers["Cache-Control"] == "private, no-store"
        book = openpyxl.load_workbook(io.BytesIO(template.data))
        assert book.sheetnames == ["考生名单", "填写说明"]
        assert [c.value for c in book["考生名单"][1]] == HEADER
        guide = [cell for row in book["填写说明"].iter_rows(values_only=True) for cell in row if cell]
        assert any("每个文件最多 800 行" in str(cell) for cell in guide)


def test_who_may_import_into_which_batch(client, session, desk):
    batch, staff = desk
    batch_url = f"/console/batches/{batch.id}"

    # A supervisor reads the batch but enters nothing: no form, and a post is refused
    switch_to(client, staff["supervisor"])
    assert "import-file" not in text(client.get(batch_url))
    assert upload(client, batch.id, csv_file(1), "s.csv").status_code == 403
    # The body admin enters candidates as assessors do
    switch_to(client, staff["body_admin"])
    assert 'id="import-file"' in text(client.get(batch_url))
    assert upload(client, batch.id, csv_file(1), "s.csv").status_code == 302

    # Another body's staff: not found, for the page, the template and the import alike
    other = f.body(session, body_code="0002")
    stranger = f.staff(session, other, "assessor")
    switch_to(client, stranger)
    assert client.get(batch_url).status_code == 404
    assert client.get(f"{batch_url}/template.xlsx").status_code == 404
    assert upload(client, batch.id, csv_file(2, start=5), "s.csv").status_code == 404

    # A submitted batch takes no more candidates: no form, and a post is a conflict
    switch_to(client, staff["assessor"])
    batch_service.submit_batch(session, batch_id=batch.id, actor=staff["assessor"], now=f.NOW)
    assert session.get(Batch, batch.id).status == "submitted"
    page = text(client.get(batch_url))
    assert "import-file" not in page and "template.xlsx" not in page
    conflict = upload(client, batch.id, csv_file(2, start=5), "s.csv")
    assert conflict.status_code == 409 and "无法完成" in text(conflict)
    assert count(session, batch.id) == 1

    # The regulator stays out of the body console
    switch_to(client, f.regulator(session))
    assert upload(client, batch.id, csv_file(2, start=5), "s.csv").status_code == 403
    assert count(session, batch.id) == 1

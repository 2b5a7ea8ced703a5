"""The whole story in a real browser: the regulator files a body and its scope; the body's admin creates staff; an
assessor opens a batch, pastes scores, submits; a supervisor approves; the holder signs in and downloads the PDF;
the QR decoded from that PDF opens in the browser and shows valid; the regulator revokes; the same URL shows revoked.

Everything a person does goes through the pages; only the body's first admin account is made with
`registry users create`, as an operator would. Screenshots go to build/screenshots/story-*.png.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from certificates import make_resident_id, make_uscc
from certificates.scan import scan_qr
from registry.cli import main
from tests.web.test_browser import browser, server, shoot  # noqa: F401  (fixtures used by name)

pytestmark = pytest.mark.slow

PASSWORD = "a long enough secret"
DEMO_PASSWORD = "demo-pass-2026"  # registry.services.demo: the demo regulator's password


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="登录", exact=True).click()


def sign_out(page) -> None:
    page.get_by_role("button", name="退出登录").click()


def test_from_filing_to_revocation_through_the_pages(browser, server, tmp_path):  # noqa: F811
    app, base = server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()

    # The regulator files the body and its scope.
    sign_in(page, base, "regulator", DEMO_PASSWORD)
    page.goto(f"{base}/regulator/bodies/new")
    page.fill("#name", "广州市示范职业技能评价中心")
    page.check("#kind-0")  # S 社会培训评价组织
    page.fill("#credit_code", make_uscc("52440100MJL99001"[:16] + "7"))
    page.select_option("#province", "44")
    page.fill("#body_code", "0000")
    page.fill("#site_code", "449901")
    page.fill("#contact_name", "陈主任")
    page.fill("#contact_phone", "020-88886666")
    shoot(page, "story-01-file-body")
    page.get_by_role("button", name="备案", exact=True).click()
    assert "已备案" in page.content()
    body_id = re.search(r"/regulator/bodies/(\d+)", page.url).group(1)
    page.select_option("#occupation", "6-31-01-03")
    page.get_by_label("四级/中级工").check()
    page.fill("#valid_from", "2024-01-01")
    page.fill("#valid_to", "2028-12-31")
    page.get_by_role("button", name="添加", exact=True).click()
    assert "已添加备案范围" in page.content()
    shoot(page, "story-02-body-with-scope")
    sign_out(page)

    # The operator makes the body's first admin; the admin makes the assessor and the supervisor.
    result = app.test_cli_runner().invoke(main, ["users", "create", "--username", "gz-admin", "--display-name",
                                                 "黄管理", "--role", "body_admin", "--body-id", body_id],
                                          env={"REGISTRY_NEW_USER_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    sign_in(page, base, "gz-admin", PASSWORD)
    for username, name, role in (("gz-assessor", "李考评", "assessor"), ("gz-supervisor", "王督导", "supervisor")):
        page.goto(f"{base}/console/body")
        page.fill("#username", username)
        page.fill("#display_name", name)
        page.select_option("#role", role)
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="创建账号").click()
        assert f"已创建账号 {username}" in page.content()
    shoot(page, "story-03-staff")
    sign_out(page)

    # The assessor opens a batch inside the scope, pastes the candidates and scores, and submits.
    holder_id = make_resident_id("440106", date(1990, 3, 8), 17)
    failing_id = make_resident_id("440106", date(1992, 7, 1), 23)
    sign_in(page, base, "gz-assessor", PASSWORD)
    page.goto(f"{base}/console/batches/new")
    page.select_option("#assessment", page.locator("#assessment option:not([value=''])").first.get_attribute("value"))
    page.fill("#assessed_on", date.today().isoformat())
    page.fill("#place", "广州市天河区示范实训基地")
    page.get_by_role("button", name="开启批次").click()
    shoot(page, "story-04a-batch-opened")
    batch_url = page.url
    page.get_by_label("从表格复制的考生行").fill(f"姓名\t证件类型\t证件号码\t理论\t技能\n林晓燕\t居民身份证\t{holder_id}\t86\t91\n"
                       f"周大勇\t居民身份证\t{failing_id}\t52\t70\n")
    page.get_by_role("button", name="全部录入").click()
    assert "林晓燕" in page.content() and "不合格" in page.content()
    shoot(page, "story-04-batch-entered")
    page.get_by_role("button", name="提交审核").click()
    sign_out(page)

    # The supervisor approves: one certificate for the candidate who passed.
    sign_in(page, base, "gz-supervisor", PASSWORD)
    page.goto(batch_url)
    page.get_by_role("button", name="批准并签发 1 本证书").click()
    assert "已批准" in page.content()
    number = re.search(r"S0000444499012\d{8}", page.content()).group(0)
    shoot(page, "story-05-issued")
    sign_out(page)

    # The holder signs in, downloads the signed PDF; its printed QR code opens the page, which says valid.
    page.goto(f"{base}/holder")
    page.fill("#id_number", holder_id)
    page.fill("#name", "林晓燕")
    page.fill("#number", number)
    page.get_by_role("button", name="查看我的证书").click()
    shoot(page, "story-06-holder")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载电子证书（PDF）").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    url = scan_qr(pdf.read_bytes())
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.goto(url)
    assert phone.locator(".verdict .headline").first.inner_text().strip().endswith("证书真实有效")
    assert "林晓燕" in phone.content() and number in phone.content()
    shoot(phone, "story-07-qr-valid")

    # The regulator revokes it; the same URL now says so.
    sign_in(page, base, "regulator", DEMO_PASSWORD)
    page.goto(f"{base}/regulator/revocations")
    page.fill("#number", number)
    page.select_option("#reason", "fraud")
    page.fill("#note", "申报材料中的工作年限证明系伪造。")
    page.get_by_role("button", name="撤销证书").click()
    assert f"证书 {number} 已撤销" in page.content()
    phone.goto(url)
    assert "证书真实，但已撤销" in phone.locator(".verdict").first.inner_text()
    shoot(phone, "story-08-qr-revoked")
    context.close()

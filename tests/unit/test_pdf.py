"""The certificate PDF: byte-for-byte stable, readable by independent tools, and refusing what it cannot print.

The golden file tests/data/golden-certificate.pdf pins the whole rendering. After an intended change to the
layout (or a reportlab or font upgrade), look at the new output, then regenerate it with
`REGISTRY_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_pdf.py` and commit the file.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import qrcode
import zxingcpp
from PIL import Image

from certificates.errors import FieldError
from certificates.fonts import unprintable_characters
from certificates.pdf import PHOTO_PIXELS, CertificateDocument, prepare_photo, render_certificate
from certificates.record import CertificateRecord

DATA = Path(__file__).parents[1] / "data"
GOLDEN = DATA / "golden-certificate.pdf"
PHOTO = (DATA / "photo-sample.jpg").read_bytes()

FULL_ID = "11010519491231002X"
MASKED_ID = "110105********002X"
QR_URL = "https://zscx.example.cn/v/" + "".join(str(i * 7 % 10) for i in range(214))  # 240 characters

RECORD = CertificateRecord(
    number="S000144010501264000123", holder_name="欧阳明", id_type="resident", id_type_label="居民身份证",
    id_number=FULL_ID, occupation_code="4-10-01-06", occupation_name="家政服务员", work_type="--",
    level=3, level_label="三级/高级工", standard="4-10-01-06@2019",
    standard_title="国家职业技能标准 家政服务员（2019年版）",
    body_name="北京市朝阳区职业技能培训学校有限公司", body_credit_code="52440000MJL000207G",
    assessed_on=date(2026, 5, 10), issued_on=date(2026, 5, 20),
)


def qr_matrix(data: str) -> list[list[bool]]:
    # Fixed version, mask and a single byte-mode segment: the matrix is then fixed by the QR standard itself,
    # not by the qrcode library's choices, so the golden file survives qrcode upgrades.
    code = qrcode.QRCode(version=11, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2)
    code.add_data(data, optimize=0)
    code.make(fit=False)
    return code.get_matrix()


DOC = CertificateDocument(
    record=RECORD, qr_modules=qr_matrix(QR_URL), qr_url=QR_URL, photo=PHOTO, show_full_id=False,
    lookup_url="https://zscx.example.cn/lookup", body_lookup_url="https://zscx.example.cn/bodies",
)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_certificate(DOC)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed: install poppler-utils to run this check")
    return path


def pdf_text(data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "certificate.pdf"
    source.write_bytes(data)
    return subprocess.run([_tool("pdftotext"), str(source), "-"], capture_output=True, check=True, text=True).stdout


def test_rendering_twice_gives_identical_bytes(pdf):
    assert render_certificate(DOC) == pdf
    assert render_certificate(dataclasses.replace(DOC, photo=None)) == render_certificate(
        dataclasses.replace(DOC, photo=None)
    )


def test_matches_the_golden_file(pdf):
    if os.environ.get("REGISTRY_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(pdf)
        pytest.skip(f"rewrote {GOLDEN.name}: look at it before committing")
    assert GOLDEN.exists(), "golden file missing: regenerate it with REGISTRY_UPDATE_GOLDEN=1"
    assert pdf == GOLDEN.read_bytes(), "rendering changed: if intended, regenerate with REGISTRY_UPDATE_GOLDEN=1"


def test_size_stays_within_budget(pdf):
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) <= 150_000
    noisy = Image.effect_noise((1200, 1600), 120).convert("RGB")  # the worst case for JPEG
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    assert len(render_certificate(dataclasses.replace(DOC, photo=buffer.getvalue()))) <= 150_000


def test_text_layer_has_every_required_field_and_masks_the_id(pdf, tmp_path):
    text = pdf_text(pdf, tmp_path)
    for expected in (
        "职业技能等级证书", "Vocational Skill Level Certificate".upper(), "姓名", "欧阳明", "证件类型", "居民身份证",
        "证件号码", MASKED_ID, "职业名称", "家政服务员", "4-10-01-06", "工种/职业方向", "职业技能等级", "三级/高级工",
        "Level 3 / Senior Worker", "证书编号", "S000144010501264000123", "发证单位",
        "北京市朝阳区职业技能培训学校有限公司", "发证日期", "2026年05月20日", "2026-05-20",
        "https://zscx.example.cn/lookup", "https://zscx.example.cn/bodies", "4-10-01-06@2019",
    ):
        assert expected in text, expected
    assert re.search(r"^--$", text, re.MULTILINE), "no 工种 must print as --"
    assert FULL_ID not in text
    assert "替代" not in text


def test_full_id_and_superseded_number_when_asked(tmp_path):
    record = dataclasses.replace(RECORD, supersedes="S000144010501264000099")
    text = pdf_text(render_certificate(dataclasses.replace(DOC, record=record, show_full_id=True)), tmp_path)
    assert FULL_ID in text
    assert "本证书替代 S000144010501264000099" in text
    assert "Replaces certificate S000144010501264000099" in text


def test_long_names_wrap_inside_the_page(tmp_path):
    record = dataclasses.replace(
        RECORD, holder_name="MARIA-CHRISTINA ALEXANDRA VON HOHENZOLLERN-SIGMARINGEN DE LA VEGA", id_type="passport",
        id_type_label="护照", id_number="E12345678",
        body_name="中国长江三峡集团有限公司职业技能等级认定中心（宜昌）电气运行与检修分中心暨华中区域培训评价基地",
    )
    text = pdf_text(render_certificate(dataclasses.replace(DOC, record=record, photo=None)), tmp_path)
    words = " ".join(text.split())
    assert "MARIA-CHRISTINA ALEXANDRA" in words and "DE LA VEGA" in words
    assert "（宜昌）" in text, "a short bracketed part is not split across lines"
    assert "E1*****78" in text
    assert "照片" in text and "Photo" in text, "placeholder when there is no photo"


def test_qr_on_the_printed_page_decodes_to_the_url(pdf, tmp_path):
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run([_tool("pdftoppm"), "-r", "100", "-png", "-singlefile", str(source), str(tmp_path / "page")],
                   check=True)
    results = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert [(r.format, r.text) for r in results] == [(zxingcpp.BarcodeFormat.QRCode, QR_URL)]


def test_qr_is_vector_and_clickable(pdf):
    no_photo = render_certificate(dataclasses.replace(DOC, photo=None))
    assert b"/Subtype /Image" not in no_photo, "the QR code must be vectors, not a bitmap"
    assert f"/URI ({QR_URL})".encode() in pdf


def test_fonts_are_embedded(pdf, tmp_path):
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    listing = subprocess.run([_tool("pdffonts"), str(source)], capture_output=True, check=True, text=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, listing
    for row in rows:
        # columns: name type encoding emb sub uni object-id; the type may be two words ("Type 1")
        emb = row.split()[-5]
        assert emb == "yes", row


def test_metadata_carries_the_certificate_number(pdf, tmp_path):
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    info = subprocess.run([_tool("pdfinfo"), str(source)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"^Title:\s+职业技能等级证书 S000144010501264000123$", info, re.MULTILINE), info
    assert re.search(r"^Subject:.*S000144010501264000123", info, re.MULTILINE), info
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info
    assert "A4" in info
    assert "欧阳明" not in info and MASKED_ID not in info, "no personal data in the metadata"


EXT_G = "\U00030000"  # 𰀀, CJK Extension G (2020): in neither shipped face


def test_font_coverage():
    assert unprintable_characters("䶮 欧阳𬘭 MARIA-JOSÉ O'NEIL·王") == []
    # Extensions B-F come from the fallback face (HanaMin B): rare names print, never refused for rarity.
    assert unprintable_characters("张𪚥𠀀三") == []
    assert unprintable_characters(f"张{EXT_G}{EXT_G}三\u200b") == [EXT_G, "\u200b"]
    # reportlab cannot apply a variation selector, so the requested glyph variant would not be the one printed
    assert unprintable_characters("葛\U000E0100") == ["\U000E0100"]


@pytest.mark.parametrize(
    ("field", "value", "char"),
    [
        ("holder_name", f"张{EXT_G}", "U+30000"),
        ("body_name", f"北京{EXT_G}培训学校", "U+30000"),
        ("work_type", "母婴\u200b护理员", "U+200B"),
    ],
)
def test_an_unprintable_character_is_refused_and_named(field, value, char):
    doc = dataclasses.replace(DOC, record=dataclasses.replace(RECORD, **{field: value}))
    with pytest.raises(FieldError) as caught:
        render_certificate(doc)
    assert caught.value.field == field
    assert caught.value.reason == "unprintable-character"
    assert char in caught.value.message_zh and char in caught.value.message_en
    if field != "work_type":
        assert EXT_G in caught.value.message_zh


def test_a_rare_name_character_prints_from_the_fallback_face(tmp_path):
    doc = dataclasses.replace(DOC, record=dataclasses.replace(RECORD, holder_name="欧阳𪚥"))
    data = render_certificate(doc)
    source = tmp_path / "rare.pdf"
    source.write_bytes(data)
    fonts = subprocess.run([_tool("pdffonts"), str(source)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"\+HanaMinB\s+TrueType.*yes\s+yes\s+yes", fonts), fonts
    # reportlab's ToUnicode map is 16-bit, so a copied supplementary-plane character comes out wrong; the
    # glyph itself is drawn from HanaMin B (above), which is what the holder sees and prints.
    assert "欧阳" in pdf_text(data, tmp_path)


@pytest.mark.parametrize("photo", [b"", b"not an image at all", b"%PDF-1.4 fake", b"\xff\xd8\xff\xe0 truncated"])
def test_a_photo_that_is_not_an_image_is_refused(photo):
    with pytest.raises(FieldError) as caught:
        render_certificate(dataclasses.replace(DOC, photo=photo))
    assert caught.value.field == "photo"


def test_photo_is_cropped_resized_and_stripped():
    source = Image.new("RGBA", (1200, 900), (30, 90, 160, 128))  # landscape, translucent, with EXIF
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    buffer = io.BytesIO()
    source.save(buffer, "PNG", exif=exif)
    prepared = prepare_photo(buffer.getvalue())
    image = Image.open(io.BytesIO(prepared))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", PHOTO_PIXELS)
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert image.getpixel((10, 10))[0] > 100, "transparency is laid on white, not black"
    assert prepare_photo(prepared) == prepared, "a prepared photo passes through unchanged"


def test_a_malformed_qr_matrix_is_refused():
    with pytest.raises(FieldError) as caught:
        render_certificate(dataclasses.replace(DOC, qr_modules=[[True] * 25] * 24))
    assert caught.value.field == "qr_modules"

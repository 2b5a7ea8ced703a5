"""The printable certificate: one A4 page rendered from a certificate record, ready to be signed."""

from __future__ import annotations

import io
import math
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache

from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from certificates.errors import FieldError
from certificates.fonts import fit, register_fallback, register_fonts, runs, text_width, unprintable_characters
from certificates.identifiers import ID_TYPES, mask_id
from certificates.record import NO_WORK_TYPE, TITLE, CertificateRecord
from standards.levels import LEVELS

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = A4  # portrait: a label/value table reads down the page, and phones show it whole

SUBTITLE = "Vocational Skill Level Certificate"
BODY_TEXT_ZH = "经评价，持证人具备下列职业技能等级，特发此证。"
BODY_TEXT_EN = "This is to certify that the holder named below has been evaluated and attained the skill level stated."

# 一寸 photo: 25 x 35 mm, 295 x 413 pixels at 300 dpi.
PHOTO_SIZE_MM = (25.0, 35.0)
PHOTO_PIXELS = (295, 413)
PHOTO_QUALITIES = (85, 75, 65, 50)
MAX_PHOTO_BYTES = 40_000
MAX_PHOTO_PIXELS = 50_000_000
QR_QUIET_ZONE = 4
QR_BOX_MM = 36.0  # the symbol with its quiet zone; a version-11 symbol is then 31.8 mm wide

INK = Color(0.11, 0.10, 0.09)
MUTED = Color(0.38, 0.35, 0.32)
RED = Color(0.54, 0.10, 0.09)
GOLD = Color(0.70, 0.56, 0.31)
RULE = Color(0.80, 0.72, 0.57)
PAPER_TINT = Color(0.965, 0.955, 0.935)

_render_lock = threading.Lock()


@dataclass(frozen=True)
class CertificateDocument:
    """A record and what is printed with it: the QR code, the holder's photo and the lookup addresses."""

    record: CertificateRecord
    qr_modules: Sequence[Sequence[bool]]  # dark modules, without the quiet zone
    qr_url: str
    photo: bytes | None
    show_full_id: bool
    lookup_url: str
    body_lookup_url: str


# ---------------------------------------------------------------- checks before drawing

_FIELD_NAMES = {
    "holder_name": ("姓名", "name"),
    "id_type_label": ("证件类型", "ID type"),
    "id_number": ("证件号码", "ID number"),
    "occupation_name": ("职业名称", "occupation"),
    "occupation_code": ("职业编码", "occupation code"),
    "work_type": ("工种/职业方向", "work type"),
    "level_label": ("职业技能等级", "skill level"),
    "number": ("证书编号", "certificate number"),
    "body_name": ("发证单位", "issuing body"),
    "body_credit_code": ("统一社会信用代码", "credit code"),
    "standard": ("标准", "standard"),
    "standard_title": ("标准名称", "standard title"),
    "supersedes": ("被替代证书编号", "superseded certificate number"),
    "lookup_url": ("证书查询地址", "certificate lookup address"),
    "body_lookup_url": ("机构查询地址", "body lookup address"),
}
_PRINTED_RECORD_FIELDS = tuple(name for name in _FIELD_NAMES if not name.endswith("lookup_url"))


def _check_printable(fields: dict[str, str]) -> None:
    for field, text in fields.items():
        missing = unprintable_characters(text)
        if not missing:
            continue
        char = missing[0]
        zh_name, en_name = _FIELD_NAMES[field]
        code = f"U+{ord(char):04X}"
        visible = char.isprintable() and unicodedata.category(char) not in ("Mn", "Cf")
        shown_zh = f"“{char}”（{code}）" if visible else f"不可见字符 {code}"
        shown_en = f"'{char}' ({code})" if visible else f"an invisible character ({code})"
        raise FieldError(
            field,
            "unprintable-character",
            f"{zh_name}含证书字体无法打印的字符 {shown_zh}",
            f"{en_name} contains {shown_en}, which the certificate font cannot print",
        )


def _check_qr(modules: Sequence[Sequence[bool]]) -> None:
    size = len(modules)
    if size < 21 or any(len(row) != size for row in modules):
        raise FieldError(
            "qr_modules", "qr-matrix", "二维码矩阵应为至少 21×21 的方阵", "QR matrix must be square, 21x21 or larger"
        )


# ---------------------------------------------------------------- photo


def _photo_error(zh: str, en: str) -> FieldError:
    return FieldError("photo", "photo-format", f"照片{zh}", f"photo {en}")


def _is_prepared(image: Image.Image) -> bool:
    markers = getattr(image, "applist", [])
    return (
        image.format == "JPEG"
        and image.mode == "RGB"
        and image.size == PHOTO_PIXELS
        and "progressive" not in image.info
        and all(marker == "APP0" for marker, _ in markers)
    )


def prepare_photo(data: bytes) -> bytes:
    """The holder's photo as printed: RGB JPEG, 295 x 413 pixels (25 x 35 mm at 300 dpi), no metadata.

    Idempotent: a photo this function produced comes back unchanged, so storing its result once makes
    later renders cheap. Anything that is not a JPEG or PNG image is refused.
    """
    if not isinstance(data, bytes | bytearray) or not data:
        raise _photo_error("应为 JPEG 或 PNG 图像", "must be a JPEG or PNG image")
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
        if image.width * image.height > MAX_PHOTO_PIXELS:
            raise _photo_error("像素过多", f"has more than {MAX_PHOTO_PIXELS} pixels")
        if _is_prepared(image):
            return bytes(data)
        image.draft("RGB", (PHOTO_PIXELS[1], PHOTO_PIXELS[1]))  # JPEG: decode at a reduced scale, much faster
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, image.convert("RGBA"))
        image = image.convert("RGB")
        image = ImageOps.fit(image, PHOTO_PIXELS, method=Image.Resampling.LANCZOS, centering=(0.5, 0.45))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise _photo_error("无法读取：应为 JPEG 或 PNG 图像", "cannot be read as a JPEG or PNG image") from error
    for quality in PHOTO_QUALITIES:  # busy backgrounds compress badly: step down to stay in the size budget
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True, dpi=(300, 300))
        if out.tell() <= MAX_PHOTO_BYTES:
            break
    return out.getvalue()


# ---------------------------------------------------------------- frame


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _wave_path(length: float, waves: Sequence[float], unit: float, amplitude: float) -> str:
    """PDF path operators for sinusoids along the x axis, in a unit where a quarter period is 1.

    Each quarter period is one cubic whose control points match the sine's slope at both ends.
    """
    quarters = 4 * max(1, round(length / (4 * unit)))
    scale = length / quarters  # points per unit, so the pattern ends exactly at the corner blocks
    slope = amplitude * math.pi / 2  # dy/dx of a*sin(x*pi/2) at zero, in units
    ops: list[str] = []
    for phase in waves:
        def y(k: float, phase: float = phase) -> float:
            return amplitude * math.sin((k + phase) * math.pi / 2)

        def dy(k: float, phase: float = phase) -> float:
            return slope * math.cos((k + phase) * math.pi / 2)

        ops.append(f"0 {_num(y(0))} m")
        for k in range(quarters):
            x1, y1 = k + 1 / 3, y(k) + dy(k) / 3
            x2, y2 = k + 2 / 3, y(k + 1) - dy(k + 1) / 3
            ops.append(f"{_num(x1)} {_num(y1)} {_num(x2)} {_num(y2)} {k + 1} {_num(y(k + 1))} c")
    return f"{_num(scale)} 0 0 {_num(scale)} 0 0 cm\n" + "\n".join(ops)


def _rgb(color: Color, stroke: bool) -> str:
    op = "RG" if stroke else "rg"
    return f"{_num(color.red)} {_num(color.green)} {_num(color.blue)} {op}"


@cache
def _frame_operators() -> str:
    """The border, the same on every certificate: a heavy and a light red rule with a band of interlaced
    gold waves between them, square corner blocks, and a gold hairline inside."""
    outer, band_in, band_out, inner = 9 * MM, 10.6 * MM, 15.4 * MM, 16.8 * MM
    corner = 7.6 * MM
    band_mid = (band_in + band_out) / 2
    unit = 2.6  # a quarter wave, in points
    amplitude = ((band_out - band_in) / 2 - 0.5) / unit

    def box(inset: float) -> str:
        return f"{_num(inset)} {_num(inset)} {_num(PAGE_WIDTH - 2 * inset)} {_num(PAGE_HEIGHT - 2 * inset)} re S"

    ops = ["q", _rgb(RED, True), "1.6 w", box(outer), "0.6 w", box(inner), _rgb(GOLD, True), "0.35 w",
           box(inner + 1.6)]
    # Two waves in opposite phase make a chain of links along each side, between the corner blocks.
    start = band_mid + corner / 2
    for x, y, vertical, length in (
        (start, band_mid, False, PAGE_WIDTH - 2 * start),
        (start, PAGE_HEIGHT - band_mid, False, PAGE_WIDTH - 2 * start),
        (band_mid, start, True, PAGE_HEIGHT - 2 * start),
        (PAGE_WIDTH - band_mid, start, True, PAGE_HEIGHT - 2 * start),
    ):
        scale = length / (4 * max(1, round(length / (4 * unit))))
        rotation = "0 1 -1 0" if vertical else "1 0 0 1"
        ops += ["q", f"{rotation} {_num(x)} {_num(y)} cm", _wave_path(length, (0.0, 2.0), unit, amplitude),
                f"{_num(0.3 / scale)} w S", "Q"]
    for cx in (band_mid, PAGE_WIDTH - band_mid):
        for cy in (band_mid, PAGE_HEIGHT - band_mid):
            half, d = corner / 2, corner / 2 - 1.6
            ops += ["1 g", _rgb(RED, True), "0.8 w", f"{_num(cx - half)} {_num(cy - half)} {_num(corner)} "
                    f"{_num(corner)} re B", _rgb(GOLD, False), f"{_num(cx)} {_num(cy - d)} m {_num(cx + d)} "
                    f"{_num(cy)} l {_num(cx)} {_num(cy + d)} l {_num(cx - d)} {_num(cy)} l h f", "1 g",
                    f"{_num(cx - d / 3)} {_num(cy - d / 3)} {_num(2 * d / 3)} {_num(2 * d / 3)} re f"]
    ops.append("Q")
    return "\n".join(ops)


# ---------------------------------------------------------------- drawing

TABLE_LEFT = 30 * MM
TABLE_RIGHT = PAGE_WIDTH - 30 * MM
VALUE_LEFT = TABLE_LEFT + 38 * MM
ROW_HEIGHTS = tuple(h * MM for h in (14.0, 13.5, 13.0, 12.5, 12.0, 11.5, 11.0))
PHOTO_GAP = 6 * MM
QR_BOTTOM = 33 * MM
TABLE_BOTTOM = QR_BOTTOM + QR_BOX_MM * MM + 7 * MM  # lowest the last rule may go


def _date_zh(day: date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def _level_en(record: CertificateRecord) -> str:
    info = LEVELS.get(record.level)
    if info is not None and info.label_zh == record.level_label:
        return info.label_en
    return next((level.label_en for level in LEVELS.values() if level.label_zh == record.level_label), "")


class _Page:
    def __init__(self, canvas: Canvas, regular: str, bold: str) -> None:
        self.c = canvas
        self.regular = regular
        self.bold = bold

    def text(self, x: float, y: float, text: str, font: str, size: float, color: Color = INK,
             align: str = "left", spacing: float = 0.0) -> None:
        if align != "left":
            width = text_width(text, font, size) + spacing * max(0, len(text) - 1)
            x -= width / 2 if align == "center" else width
        self.c.setFillColor(color)
        for part, fallback in runs(text):  # rare characters (CJK Ext B-F) come from the fallback face
            face = register_fallback() if fallback else font
            self.c.setFont(face, size)
            self.c.drawString(x, y, part, charSpace=spacing)
            x += text_width(part, face, size) + spacing * len(part)

    def rule(self, x1: float, y: float, x2: float, color: Color = RULE, width: float = 0.4) -> None:
        self.c.setStrokeColor(color)
        self.c.setLineWidth(width)
        self.c.line(x1, y, x2, y)

    def lozenge(self, cx: float, cy: float, d: float, color: Color) -> None:
        path = self.c.beginPath()
        path.moveTo(cx, cy - d)
        path.lineTo(cx + d, cy)
        path.lineTo(cx, cy + d)
        path.lineTo(cx - d, cy)
        path.close()
        self.c.setFillColor(color)
        self.c.drawPath(path, stroke=0, fill=1)


def _draw_header(page: _Page) -> float:
    cx = PAGE_WIDTH / 2
    y = PAGE_HEIGHT - 50 * MM
    page.text(cx, y, TITLE, page.bold, 34, RED, align="center", spacing=5)
    y -= 9 * MM
    page.text(cx, y, SUBTITLE.upper(), page.regular, 11.5, MUTED, align="center", spacing=2.2)
    y -= 6.5 * MM
    page.rule(cx - 38 * MM, y, cx - 3 * MM, GOLD, 0.5)
    page.rule(cx + 3 * MM, y, cx + 38 * MM, GOLD, 0.5)
    page.lozenge(cx, y, 1.6 * MM, GOLD)
    y -= 10 * MM
    page.text(cx, y, BODY_TEXT_ZH, page.regular, 12.5, INK, align="center", spacing=0.6)
    y -= 5.5 * MM
    page.text(cx, y, BODY_TEXT_EN, page.regular, 8.5, MUTED, align="center")
    return y - 9 * MM


@dataclass(frozen=True)
class _Row:
    label_zh: str
    label_en: str
    value: str
    note: str = ""
    strong: bool = False


def _rows(doc: CertificateDocument) -> list[_Row]:
    record = doc.record
    id_number = record.id_number if doc.show_full_id else mask_id(record.id_number)
    id_type_en = ID_TYPES.get(record.id_type, ("", ""))[1]
    credit = f"统一社会信用代码 Unified social credit code  {record.body_credit_code}"
    return [
        _Row("姓名", "Name", record.holder_name, strong=True),
        _Row("证件类型", "ID type", record.id_type_label, id_type_en),
        _Row("证件号码", "ID No.", id_number),
        _Row("职业名称", "Occupation", record.occupation_name, f"职业编码 Occupation code  {record.occupation_code}"),
        _Row("工种/职业方向", "Work type / Specialty", record.work_type or NO_WORK_TYPE),
        _Row("职业技能等级", "Skill level", record.level_label, _level_en(record), strong=True),
        _Row("证书编号", "Certificate No.", record.number),
        _Row("发证单位", "Issuing body", record.body_name, credit),
        _Row("发证日期", "Issue date", _date_zh(record.issued_on), record.issued_on.isoformat()),
    ]


@dataclass(frozen=True)
class _Placed:
    row: _Row
    top: float
    height: float
    right: float
    font: str
    size: float
    lines: list[str]


def _layout_table(page: _Page, rows: list[_Row], top: float, photo_bottom: float) -> list[_Placed]:
    """Rows as tall as the page allows: values shrink, then wrap, and long ones make their row taller."""
    placed: list[_Placed] = []
    fitted: dict[tuple[_Row, float], tuple[float, list[str]]] = {}
    for base in ROW_HEIGHTS:
        placed, y = [], top
        for row in rows:
            right = TABLE_RIGHT - PHOTO_SIZE_MM[0] * MM - PHOTO_GAP if y > photo_bottom + 2 * MM else TABLE_RIGHT
            font = page.bold if row.strong else page.regular
            if (row, right) not in fitted:
                sizes = (15.0, 14.0, 13.0, 12.0) if row.strong else (13.0, 12.5, 12.0, 11.0, 10.0)
                size, lines = fit(row.value, font, sizes, right - VALUE_LEFT, 1)
                if len(lines) > 1:  # several lines read better a little smaller
                    size, lines = fit(row.value, font, (12.5, 12.0, 11.0, 10.0), right - VALUE_LEFT, 3)
                fitted[row, right] = size, lines
            size, lines = fitted[row, right]
            height = base + (len(lines) - 1) * size * 1.25
            placed.append(_Placed(row, y, height, right, font, size, lines))
            y -= height
        if y >= TABLE_BOTTOM:
            break
    return placed


def _draw_table(page: _Page, doc: CertificateDocument, photo: bytes | None, top: float) -> None:
    photo_w, photo_h = PHOTO_SIZE_MM[0] * MM, PHOTO_SIZE_MM[1] * MM
    photo_y = top - 1.5 * MM - photo_h
    _draw_photo(page, photo, TABLE_RIGHT - photo_w, photo_y, photo_w, photo_h)
    cells = _layout_table(page, _rows(doc), top, photo_y - 1.2 * MM)
    page.rule(TABLE_LEFT, top, cells[0].right, GOLD, 0.8)
    for cell in cells:
        row, y = cell.row, cell.top
        page.text(TABLE_LEFT, y - 6.2 * MM, row.label_zh, page.bold, 10.5, INK)
        page.text(TABLE_LEFT, y - 9.9 * MM, row.label_en, page.regular, 7.5, MUTED)
        baseline = y - 6.3 * MM
        leading = cell.size * 1.25
        for line in cell.lines:
            page.text(VALUE_LEFT, baseline, line, cell.font, cell.size, INK)
            baseline -= leading
        if row.note:
            page.text(VALUE_LEFT, baseline + leading - 3.8 * MM, row.note, page.regular, 7.5, MUTED)
        last = cell is cells[-1]
        page.rule(TABLE_LEFT, y - cell.height, cell.right, GOLD if last else RULE, 0.8 if last else 0.4)


def _draw_photo(page: _Page, photo: bytes | None, x: float, y: float, w: float, h: float) -> None:
    c = page.c
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.5)
    c.rect(x - 1.2 * MM, y - 1.2 * MM, w + 2.4 * MM, h + 2.4 * MM, stroke=1, fill=0)
    if photo is None:
        c.setFillColor(PAPER_TINT)
        c.setStrokeColor(RULE)
        c.rect(x, y, w, h, stroke=1, fill=1)
        page.text(x + w / 2, y + h / 2 + 1 * MM, "照片", page.regular, 11, MUTED, align="center", spacing=2)
        page.text(x + w / 2, y + h / 2 - 4 * MM, "Photo", page.regular, 8, MUTED, align="center")
        return
    c.drawImage(ImageReader(io.BytesIO(photo)), x, y, w, h)


def _qr_operators(modules: Sequence[Sequence[bool]], x: float, y: float, module: float) -> str:
    """One filled path for the symbol: each horizontal run of dark modules is one rectangle."""
    count = len(modules)
    ops = ["q", f"{_num(module)} 0 0 {_num(module)} {_num(x)} {_num(y)} cm", "0 g"]
    for r, row in enumerate(modules):
        start = -1
        for col, dark in enumerate([*row, False]):
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                ops.append(f"{start} {count - 1 - r} {col - start} 1 re")
                start = -1
    ops += ["f", "Q"]
    return "\n".join(ops)


def _draw_verification(page: _Page, doc: CertificateDocument) -> None:
    """The QR code, bottom left, and beside it how to check the certificate."""
    box = QR_BOX_MM * MM
    module = box / (len(doc.qr_modules) + 2 * QR_QUIET_ZONE)
    x = TABLE_LEFT - QR_QUIET_ZONE * module  # the symbol's edge, not its quiet zone, lines up with the table
    quiet = QR_QUIET_ZONE * module
    page.c.addLiteral(_qr_operators(doc.qr_modules, x + quiet, QR_BOTTOM + quiet, module))
    page.c.linkURL(doc.qr_url, (x, QR_BOTTOM, x + box, QR_BOTTOM + box), relative=0, thickness=0)
    left = x + box + 4 * MM
    lookups = []
    for zh, en, url in (("证书查询", "Certificate lookup", doc.lookup_url),
                        ("机构查询", "Evaluation body lookup", doc.body_lookup_url)):
        size, lines = fit(url, page.regular, (9.0, 8.5, 8.0, 7.5, 7.0), TABLE_RIGHT - left, 1)
        if len(lines) > 1:
            size, lines = fit(url, page.regular, (8.0, 7.5, 7.0), TABLE_RIGHT - left, 3)
        lookups.append((f"{zh}  {en}", size, lines))
    leading = 4.0 * MM
    height = 4.2 * MM + sum(6.5 * MM + leading * len(lines) for _, _, lines in lookups)
    y = QR_BOTTOM + box / 2 + height / 2 - 2.6 * MM  # the block's middle level with the symbol's
    page.text(left, y, "扫描二维码或访问下列地址查验本证书", page.regular, 10)
    y -= 4.2 * MM
    page.text(left, y, "Scan the QR code or visit these addresses to verify this certificate", page.regular, 7.5,
              MUTED)
    for label, size, lines in lookups:
        y -= 6.5 * MM
        page.text(left, y, label, page.bold, 8.5)
        for line in lines:
            y -= leading
            page.text(left, y, line, page.regular, size)


def _draw_small_print(page: _Page, record: CertificateRecord) -> None:
    """The standard assessed against and, on a reissue, the number replaced: centred above the border."""
    notes = [f"依据标准 Standard  {record.standard_title}  {record.standard}"]
    if record.supersedes:
        notes.append(f"本证书替代 {record.supersedes}  Replaces certificate {record.supersedes}")
    lines: list[tuple[float, str]] = []
    for note in notes:
        size, wrapped = fit(note, page.regular, (7.5, 7.0, 6.5), TABLE_RIGHT - TABLE_LEFT, 2)
        lines += [(size, line) for line in wrapped]
    y = 21.5 * MM + 3.6 * MM * (len(lines) - 1)
    for size, line in lines:
        page.text(PAGE_WIDTH / 2, y, line, page.regular, size, MUTED, align="center")
        y -= 3.6 * MM


@contextmanager
def _binary_streams() -> Iterator[None]:
    # ASCII85 makes streams a quarter larger and, without the rl_accel extension, costs ~15 ms per page.
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def render_certificate(doc: CertificateDocument) -> bytes:
    """One A4 page, unsigned; the same document always gives the same bytes.

    Raises FieldError before drawing anything when a printed text holds a character the font lacks, the
    photo is not a JPEG or PNG image, or the QR matrix is not square.
    """
    record = doc.record
    printed = {name: getattr(record, name) or "" for name in _PRINTED_RECORD_FIELDS}
    printed["lookup_url"] = doc.lookup_url
    printed["body_lookup_url"] = doc.body_lookup_url
    _check_printable(printed)
    _check_qr(doc.qr_modules)
    photo = prepare_photo(doc.photo) if doc.photo is not None else None
    regular, bold = register_fonts()
    out = io.BytesIO()
    # One render at a time: reportlab's font objects keep a read position while subsetting, and the stream
    # encoding is a module-wide setting.
    with _render_lock, _binary_streams():
        canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1, lang="zh-CN", initialFontName=regular)
        canvas.setTitle(f"{TITLE} {record.number}")
        canvas.setSubject(f"{TITLE} 证书编号 {record.number} / {SUBTITLE} No. {record.number}")
        canvas.setAuthor(record.body_name)
        canvas.setCreator("skill-registry")
        canvas.setKeywords(record.number)
        page = _Page(canvas, regular, bold)
        canvas.addLiteral(_frame_operators())
        _draw_table(page, doc, photo, _draw_header(page))
        _draw_verification(page, doc)
        _draw_small_print(page, record)
        canvas.showPage()
        canvas.save()
    return out.getvalue()

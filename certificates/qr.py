"""The certificate's QR code: the compact signed payload (format 1), its verify URL and its QR symbol."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

import qrcode
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from qrcode.util import MODE_8BIT_BYTE, MODE_NUMBER, QRData

from certificates.errors import FieldError
from certificates.identifiers import USCC_ALPHABET, uscc_check_char
from certificates.signing import _require_p256, key_id

FORMAT_VERSION = 1
# Part of the signed format: a code, once published, never changes meaning. New document types append.
ID_TYPE_CODES: dict[str, int] = {
    "resident": 1,
    "foreign_permanent": 2,
    "hmt_residence": 3,
    "passport": 4,
    "hk_macao_permit": 5,
    "taiwan_permit": 6,
}
_ID_TYPE_BY_CODE = {code: name for name, code in ID_TYPE_CODES.items()}
EPOCH = date(1970, 1, 1)
LAST_ISSUE_DATE = EPOCH + timedelta(days=0xFFFF)  # 2149-06-06, the largest uint16 day count
TEXT_FIELDS = ("holder_name", "masked_id", "occupation_code", "work_type", "standard_version")
MAX_TEXT_BYTES = 255
HEADER_BYTES = 41  # version byte to the end of the credit code
SIGNATURE_BYTES = 64
_FIXED_BYTES = HEADER_BYTES + len(TEXT_FIELDS) + SIGNATURE_BYTES  # everything but the string contents
MAX_PAYLOAD_BYTES = _FIXED_BYTES + len(TEXT_FIELDS) * MAX_TEXT_BYTES  # 1385
MAX_DIGITS = len(str(256**MAX_PAYLOAD_BYTES - 1))  # 3336, well inside Python's 4300-digit int() limit
URL_MARKER = "/v/"
MAX_QR_VERSION = 12
_URL_CHARS = frozenset(map(chr, range(0x21, 0x7F))) - {"?", "#"}
_MAX_URL_LENGTH = 4096

_TEXT_LABELS = {
    "holder_name": ("姓名", "holder name"),
    "masked_id": ("遮掩后的证件号码", "masked ID number"),
    "occupation_code": ("职业编码", "occupation code"),
    "work_type": ("工种/职业方向", "work type"),
    "standard_version": ("标准版本", "standard version"),
}
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})  # control characters, lone surrogates, line breaks


class PayloadError(ValueError):
    """Input that is not a well-formed format-1 payload or verify URL; a verifier calls it not genuine."""

    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.reason = reason
        self.message_zh = zh
        self.message_en = en

    def __reduce__(self) -> tuple[type[PayloadError], tuple[str, str, str]]:
        return (PayloadError, (self.reason, self.message_zh, self.message_en))


class QrTooLongError(FieldError):
    """The certificate's text does not fit a QR code of version 12 at error correction level M."""

    def __reduce__(self) -> tuple[type[QrTooLongError], tuple[str, str, str, str]]:
        return (QrTooLongError, (self.field, self.reason, self.message_zh, self.message_en))


@dataclass(frozen=True)
class QrPayload:
    """What the QR code proves, as printed on the certificate; the ID number only in its masked form."""

    number: str
    holder_name: str
    id_type: str  # a key of certificates.identifiers.ID_TYPES
    masked_id: str  # as printed, e.g. 110105********002X
    occupation_code: str
    work_type: str  # NO_WORK_TYPE ("--") when the standard has none
    level: int
    standard_version: str  # e.g. "2018"
    body_code: str  # the issuing body's 统一社会信用代码
    issued_on: date
    key_id: str  # 16 lower-case hex characters, certificates.signing.key_id of the signing key


def _is_digits(text: str, length: int | None = None) -> bool:
    return text.isascii() and text.isdigit() and (length is None or len(text) == length)


def _format_ok(field: str, text: str) -> bool:
    if field == "masked_id":
        return "*" in text and all(char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()*" for char in text)
    if field == "occupation_code":
        parts = text.split("-")
        return [len(part) for part in parts] == [1, 2, 2, 2] and all(_is_digits(part) for part in parts)
    if field == "standard_version":
        return _is_digits(text, 4)
    return True


_FORMAT_RULES = {
    "masked_id": (
        "大写字母、数字、括号和 *，至少遮掩一位",
        "capital letters, digits, brackets and *, at least one masked",
    ),
    "occupation_code": ("X-XX-XX-XX 形式的数字", "digits in the form X-XX-XX-XX"),
    "standard_version": ("4 位数字年份", "a 4-digit year"),
}


def _check_text(field: str, value: object) -> None:
    zh_name, en_name = _TEXT_LABELS[field]
    if not isinstance(value, str) or not value:
        raise FieldError(field, "qr-text-empty", f"{zh_name}不能为空", f"{en_name} must be non-empty text")
    bad = next((char for char in value if unicodedata.category(char) in _BAD_CATEGORIES), None)
    if bad is not None:
        raise FieldError(
            field,
            "qr-text-characters",
            f"{zh_name}含控制字符或换行（U+{ord(bad):04X}）",
            f"{en_name} contains a control character or line break (U+{ord(bad):04X})",
        )
    if not unicodedata.is_normalized("NFC", value):
        raise FieldError(field, "qr-text-nfc", f"{zh_name}应为 Unicode NFC 形式", f"{en_name} must be in Unicode NFC")
    size = len(value.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise FieldError(
            field,
            "qr-text-too-long",
            f"{zh_name}过长：二维码中每项最多 {MAX_TEXT_BYTES} 字节（UTF-8），实际 {size} 字节",
            f"{en_name} is too long: at most {MAX_TEXT_BYTES} UTF-8 bytes per item in the QR code, got {size}",
        )
    if not _format_ok(field, value):
        zh_rule, en_rule = _FORMAT_RULES[field]
        raise FieldError(field, "qr-text-format", f"{zh_name}应为{zh_rule}", f"{en_name} must be {en_rule}")


def _check_credit_code(code: object) -> None:
    if not (isinstance(code, str) and len(code) == 18 and all(char in USCC_ALPHABET for char in code)):
        raise FieldError(
            "body_code",
            "credit-code-format",
            "统一社会信用代码应为 GB 32100 字符集中的 18 个字符",
            "unified social credit code must be 18 characters of the GB 32100 alphabet",
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise FieldError(
            "body_code",
            "credit-code-check",
            "统一社会信用代码校验码错误",
            "unified social credit code has a wrong check character",
        )


def _check(payload: QrPayload) -> None:
    """Every rule of the format, in layout order; the error names the first field that breaks one."""
    number = payload.number
    if not (isinstance(number, str) and len(number) == 22 and "A" <= number[0] <= "Z" and _is_digits(number[1:])):
        raise FieldError(
            "number",
            "certificate-number-format",
            f"证书编号应为 1 位大写字母加 21 位数字，收到 {number!r}",
            f"certificate number must be a capital letter and 21 digits, got {number!r}",
        )
    issued_on = payload.issued_on
    if not isinstance(issued_on, date) or isinstance(issued_on, datetime) or not EPOCH <= issued_on <= LAST_ISSUE_DATE:
        raise FieldError(
            "issued_on",
            "qr-date-range",
            f"发证日期应为 {EPOCH} 至 {LAST_ISSUE_DATE} 之间的日期",
            f"issue date must be a date from {EPOCH} to {LAST_ISSUE_DATE}",
        )
    level = payload.level
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise FieldError(
            "level",
            "level-range",
            f"职业技能等级应为 1 至 5，收到 {level!r}",
            f"skill level must be 1-5, got {level!r}",
        )
    if number[15] != str(level):
        raise FieldError(
            "level",
            "level-number-mismatch",
            f"等级 {level} 与证书编号第 16 位 {number[15]} 不一致",
            f"level {level} differs from the certificate number's 16th character {number[15]}",
        )
    if not isinstance(payload.id_type, str) or payload.id_type not in ID_TYPE_CODES:
        raise FieldError(
            "id_type", "id-type-unknown", f"未知的证件类型 {payload.id_type!r}", f"unknown ID type {payload.id_type!r}"
        )
    kid = payload.key_id
    if not (isinstance(kid, str) and len(kid) == 16 and all(char in "0123456789abcdef" for char in kid)):
        raise FieldError(
            "key_id", "key-id-format", "密钥标识应为 16 位小写十六进制", "key id must be 16 lower-case hex characters"
        )
    _check_credit_code(payload.body_code)
    for field in TEXT_FIELDS:
        _check_text(field, getattr(payload, field))


def signed_part(payload: QrPayload) -> bytes:
    """The bytes the signature covers: the whole payload but the signature. FieldError for a bad field."""
    _check(payload)
    data = bytearray((FORMAT_VERSION, ord(payload.number[0])))
    data += int(payload.number[1:]).to_bytes(9, "big")
    data += (payload.issued_on - EPOCH).days.to_bytes(2, "big")
    data += bytes((payload.level, ID_TYPE_CODES[payload.id_type]))
    data += bytes.fromhex(payload.key_id)
    data += payload.body_code.encode("ascii")
    for field in TEXT_FIELDS:
        text = getattr(payload, field).encode("utf-8")
        data += bytes((len(text),)) + text
    return bytes(data)


def pack(payload: QrPayload, signature: bytes) -> bytes:
    """The complete payload: signed part then the 64-byte raw signature."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise FieldError(
            "signature", "signature-format", "签名应为 64 字节（r||s）", "signature must be 64 bytes (raw r||s)"
        )
    return signed_part(payload) + signature


def _malformed(zh: str, en: str, reason: str = "payload-malformed") -> PayloadError:
    return PayloadError(reason, f"二维码内容无效：{zh}", f"the QR payload is malformed: {en}")


def unpack(data: bytes) -> tuple[QrPayload, bytes, bytes]:
    """(payload, signed part, signature) of untrusted bytes; PayloadError unless every rule holds.

    The signature is not checked here: pass the signed part to verify_payload_signature.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data or data[0] != FORMAT_VERSION:
        version = data[0] if data else None
        raise _malformed(
            f"格式版本 {version} 不受支持", f"format version {version} is not supported", "payload-version"
        )
    if not _FIXED_BYTES <= len(data) <= MAX_PAYLOAD_BYTES:
        raise _malformed(f"长度 {len(data)} 字节不可能", f"a length of {len(data)} bytes is impossible")
    if not 0x41 <= data[1] <= 0x5A:
        raise _malformed("证书编号首字符不是 A-Z", "the certificate number's letter is not A-Z")
    digits = int.from_bytes(data[2:11], "big")
    if digits >= 10**21:
        raise _malformed("证书编号数字部分超过 21 位", "the certificate number's digits exceed 21 places")
    id_type = _ID_TYPE_BY_CODE.get(data[14])
    if id_type is None:
        raise _malformed(f"证件类型代码 {data[14]} 不存在", f"ID type code {data[14]} does not exist")
    credit = data[23:41]
    if not credit.isascii():
        raise _malformed("统一社会信用代码不是 ASCII", "the credit code is not ASCII")
    end = len(data) - SIGNATURE_BYTES
    position = HEADER_BYTES
    texts: dict[str, str] = {}
    for field in TEXT_FIELDS:
        if position >= end or position + 1 + data[position] > end:
            raise _malformed(f"{_TEXT_LABELS[field][0]}被截断", f"the {_TEXT_LABELS[field][1]} is truncated")
        raw = data[position + 1 : position + 1 + data[position]]
        position += 1 + len(raw)
        try:
            texts[field] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed(
                f"{_TEXT_LABELS[field][0]}不是有效的 UTF-8", f"the {_TEXT_LABELS[field][1]} is not valid UTF-8"
            ) from None
    if position != end:
        raise _malformed("文字之后、签名之前有多余字节", "there are extra bytes between the text and the signature")
    payload = QrPayload(
        number=chr(data[1]) + f"{digits:021d}",
        id_type=id_type,
        level=data[13],
        body_code=credit.decode("ascii"),
        issued_on=EPOCH + timedelta(days=int.from_bytes(data[11:13], "big")),
        key_id=data[15:23].hex(),
        holder_name=texts["holder_name"],
        masked_id=texts["masked_id"],
        occupation_code=texts["occupation_code"],
        work_type=texts["work_type"],
        standard_version=texts["standard_version"],
    )
    try:
        _check(payload)
    except FieldError as error:
        raise _malformed(error.message_zh, error.message_en) from None
    return payload, data[:end], data[end:]


def sign_payload(payload: QrPayload, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """Raw r||s (64 bytes) by deterministic ECDSA (RFC 6979): the same payload always renders the same QR."""
    _require_p256(private_key, ec.EllipticCurvePrivateKey)
    data = signed_part(payload)
    if key_id(private_key.public_key()) != payload.key_id:
        raise FieldError(
            "key_id",
            "key-id-mismatch",
            "载荷中的密钥标识不是签名密钥的标识",
            "the payload's key id is not the id of the signing key",
        )
    der = private_key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_payload_signature(signed: bytes, signature: bytes, public_key: ec.EllipticCurvePublicKey) -> bool:
    """True only for a valid signature by the key; False for anything malformed, never an error."""
    _require_p256(public_key, ec.EllipticCurvePublicKey)
    binary = bytes | bytearray | memoryview
    if not isinstance(signed, binary) or not isinstance(signature, binary) or len(signature) != SIGNATURE_BYTES:
        return False
    raw = bytes(signature)
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), bytes(signed), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def to_digits(data: bytes) -> str:
    """The payload as one big-endian unsigned integer in decimal; its non-zero first byte fixes the length."""
    if not data or data[0] == 0 or len(data) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a payload is 1-{MAX_PAYLOAD_BYTES} bytes with a non-zero first byte")
    return str(int.from_bytes(data, "big"))


def from_digits(text: str) -> bytes:
    """Bytes of the decimal form: ASCII digits only, no leading zero, at most MAX_DIGITS. PayloadError otherwise."""
    if not isinstance(text, str) or not 0 < len(text) <= MAX_DIGITS or not _is_digits(text) or text[0] == "0":
        raise _malformed(
            f"应为不以 0 开头、至多 {MAX_DIGITS} 位的十进制数字",
            f"the text must be at most {MAX_DIGITS} decimal digits without a leading zero",
            "payload-digits",
        )
    value = int(text)
    data = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if len(data) > MAX_PAYLOAD_BYTES:
        raise _malformed("数字过长", "the number is too large", "payload-digits")
    return data


def url_prefix(base_url: str) -> str:
    """base_url without trailing slashes, then /v/: everything of the verify URL before the digits."""
    base = base_url.rstrip("/") if isinstance(base_url, str) else ""
    if not base or len(base) > _MAX_URL_LENGTH or not _URL_CHARS.issuperset(base):
        raise FieldError(
            "base_url",
            "qr-base-url",
            "核验地址应为不含空格、? 和 # 的 ASCII 网址",
            "the verify base URL must be ASCII without spaces, ? or #",
        )
    return base + URL_MARKER


def payload_url(base_url: str, data: bytes) -> str:
    return url_prefix(base_url) + to_digits(data)


def _split_url(url: object) -> tuple[str, str] | None:
    """(prefix ending in /v/, digits) of a verify URL, or None when it is not one."""
    if not isinstance(url, str) or len(url) > _MAX_URL_LENGTH or not _URL_CHARS.issuperset(url):
        return None
    cut = url.rfind(URL_MARKER) + len(URL_MARKER)
    if cut < len(URL_MARKER) or not _is_digits(url[cut:]):
        return None
    return url[:cut], url[cut:]


def parse_url(url: str) -> bytes:
    """Payload bytes of a scanned verify URL: any scheme and host, path ending in /v/<digits>, no ? or #."""
    parts = _split_url(url)
    if parts is None:
        raise _malformed("不是以 /v/ 加数字结尾的核验链接", "not a verify URL ending in /v/ and digits", "payload-url")
    return from_digits(parts[1])


# ---- The QR symbol (ISO/IEC 18004): byte segment for the URL prefix, numeric segment for the digits.

_DATA_CODEWORDS_M = (16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 254, 290)  # versions 1-12, level M
_ALIGNMENT_CENTRES = (
    (),
    (6, 18),
    (6, 22),
    (6, 26),
    (6, 30),
    (6, 34),
    (6, 22, 38),
    (6, 24, 42),
    (6, 26, 46),
    (6, 28, 50),
    (6, 30, 54),
    (6, 32, 58),
)
_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
_PAD = 4  # light modules packed either side of every line: the quiet zone, as penalty rule 3 sees it
_BITS = bytes.maketrans(b"\x00\x01", b"01")


@dataclass(frozen=True)
class QrMatrix:
    """A QR symbol without its quiet zone: modules[row][column] is True for dark."""

    version: int
    mask: int
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        return len(self.modules)


def qr_version(prefix_bytes: int, digits: int) -> int | None:
    """Smallest version (1-12) at level M holding a byte segment and a numeric segment, else None."""
    for version, codewords in enumerate(_DATA_CODEWORDS_M, start=1):
        byte_count_bits, digit_count_bits = (8, 10) if version < 10 else (16, 12)
        bits = 8 + byte_count_bits + 8 * prefix_bytes + digit_count_bits + 10 * (digits // 3) + (0, 4, 7)[digits % 3]
        if bits <= 8 * codewords:
            return version
    return None


@cache
def _worst_digits(payload_bytes: int) -> int:
    """Most decimal digits a payload of this length can need: its first byte 0x01 bounds the value."""
    return len(str((1 << (8 * payload_bytes - 7)) - 1))


@lru_cache(maxsize=64)
def _budget(prefix_bytes: int) -> int:
    budget = -1
    while budget < len(TEXT_FIELDS) * MAX_TEXT_BYTES and qr_version(
        prefix_bytes, _worst_digits(_FIXED_BYTES + budget + 1)
    ):
        budget += 1
    return budget


def text_budget(base_url: str) -> int:
    """Most UTF-8 bytes the five strings may take together so that any certificate's QR fits version 12-M.

    Number, date, level, ID type, key id, credit code and signature have fixed sizes; only the strings vary.
    """
    prefix = url_prefix(base_url)
    budget = _budget(len(prefix))
    if budget < len(TEXT_FIELDS):
        raise FieldError(
            "base_url",
            "qr-base-url-too-long",
            "核验地址过长，二维码中放不下证书内容",
            "the verify base URL is too long to leave room for a certificate in the QR code",
        )
    return budget


def check_fits(payload: QrPayload, base_url: str) -> int:
    """The QR version this certificate will need at most; QrTooLongError naming its longest text if over 12.

    The number, date and key id may be placeholders: only the strings change the size.
    """
    signed = signed_part(payload)
    version = qr_version(len(url_prefix(base_url)), _worst_digits(len(signed) + SIGNATURE_BYTES))
    if version is not None:
        return version
    sizes = {field: len(getattr(payload, field).encode("utf-8")) for field in TEXT_FIELDS}
    longest = max(sizes, key=lambda field: sizes[field])
    zh_name, en_name = _TEXT_LABELS[longest]
    total, budget = sum(sizes.values()), text_budget(base_url)
    raise QrTooLongError(
        longest,
        "qr-too-long",
        f"证书文字过长，二维码放不下：姓名、证件号码、职业编码、工种和标准版本共 {total} 字节，最多 {budget} 字节；"
        f"请缩短{zh_name}",
        f"the certificate's text is too long for its QR code: the holder name, masked ID, occupation code, work"
        f" type and standard version take {total} UTF-8 bytes, at most {budget} fit; shorten the {en_name}",
    )


def fits(payload: QrPayload, base_url: str) -> bool:
    try:
        check_fits(payload, base_url)
    except QrTooLongError:
        return False
    return True


def _format_bits(mask: int) -> int:
    """The 15 format-information bits for level M (indicator 00) and a mask: BCH(15,5), then XOR 0x5412."""
    remainder = mask << 10
    for bit in range(14, 9, -1):
        if remainder >> bit & 1:
            remainder ^= 0x537 << (bit - 10)
    return (mask << 10 | remainder) ^ 0x5412


def _format_positions(size: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(row, column) of format bit i (0 = least significant) in its two copies."""
    first = [(i, 8) for i in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, 14 - i) for i in range(9, 15)]
    second = [(8, size - 1 - i) for i in range(8)] + [(size - 15 + i, 8) for i in range(8, 15)]
    return list(zip(first, second, strict=True))


def _pack_lines(lines: Iterable[str]) -> int:
    """Every line (row or column) of '0'/'1' text in one integer, each between _PAD light modules."""
    pad = "0" * _PAD
    return int("".join(pad + line + pad for line in lines), 2)


@dataclass(frozen=True)
class _Layout:
    size: int
    cells: int  # packed: 1 on every module, 0 on the padding (the same packed by rows or by columns)
    row_overlays: tuple[int, ...]  # per mask: its pattern over the data modules plus its format bits
    column_overlays: tuple[int, ...]


@lru_cache(maxsize=MAX_QR_VERSION)
def _layout(version: int) -> _Layout:
    size = 17 + 4 * version
    reserved = [[False] * size for _ in range(size)]

    def reserve(top: int, left: int, height: int, width: int) -> None:
        for row in range(top, top + height):
            reserved[row][left : left + width] = [True] * width

    reserve(0, 0, 9, 9)  # finder, separator and format information, top left
    reserve(0, size - 8, 9, 8)  # top right
    reserve(size - 8, 0, 8, 9)  # bottom left, with the dark module
    centres = _ALIGNMENT_CENTRES[version - 1]
    corners = {(6, 6), (6, size - 7), (size - 7, 6)}
    for row in centres:
        for column in centres:
            if (row, column) not in corners:
                reserve(row - 2, column - 2, 5, 5)
    reserve(6, 0, 1, size)  # timing patterns
    reserve(0, 6, size, 1)
    if version >= 7:
        reserve(0, size - 11, 6, 3)  # version information
        reserve(size - 11, 0, 3, 6)
    row_overlays, column_overlays = [], []
    positions = _format_positions(size)
    for mask, rule in enumerate(_MASKS):
        grid = [[not reserved[i][j] and rule(i, j) for j in range(size)] for i in range(size)]
        bits = _format_bits(mask)
        for index, copies in enumerate(positions):
            for row, column in copies:
                grid[row][column] = bool(bits >> index & 1)
        lines = [bytes(row).translate(_BITS).decode("ascii") for row in grid]
        row_overlays.append(_pack_lines(lines))
        column_overlays.append(_pack_lines("".join(column) for column in zip(*lines, strict=True)))
    cells = _pack_lines(["1" * size] * size)
    return _Layout(size, cells, tuple(row_overlays), tuple(column_overlays))


def _line_penalty(dark: int, cells: int, total_bits: int) -> int:
    """Rules 1 and 3 of ISO/IEC 18004 §7.8.3.1 over all packed lines at once."""
    score = 0
    for run in (dark, cells ^ dark):  # padding is neither dark nor light here, so runs end with their line
        five = run & run >> 1 & run >> 2 & run >> 3 & run >> 4  # bit p: modules p..p+4 all of one colour
        score += five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()  # a run of n >= 5 costs n - 2
    light = total_bits ^ dark  # here padding counts as light: the quiet zone
    core = dark & light >> 1 & dark >> 2 & dark >> 3 & dark >> 4 & light >> 5 & dark >> 6  # 1011101
    four_light = light & light >> 1 & light >> 2 & light >> 3
    score += 40 * ((core & four_light << 4).bit_count() + (core & four_light >> 7).bit_count())
    return score


def _penalty(rows: int, columns: int, layout: _Layout) -> int:
    width = layout.size + 2 * _PAD
    total_bits = (1 << width * layout.size) - 1
    score = _line_penalty(rows, layout.cells, total_bits) + _line_penalty(columns, layout.cells, total_bits)
    for run in (rows, layout.cells ^ rows):  # rule 2: 2x2 blocks of one colour
        pairs = run & run >> 1
        score += 3 * (pairs & pairs >> width).bit_count()
    modules = layout.size * layout.size
    return score + 10 * (abs(20 * rows.bit_count() - 10 * modules) // modules)  # rule 4: 10 per 5% from half


def mask_penalty(modules: Sequence[Sequence[bool]]) -> int:
    """Penalty score of a finished symbol by the four rules of ISO/IEC 18004 §7.8.3.1 (outside is light)."""
    size = len(modules)
    version = (size - 17) // 4
    if not 1 <= version <= MAX_QR_VERSION or size != 17 + 4 * version or any(len(row) != size for row in modules):
        raise ValueError(f"expected a square symbol of version 1-{MAX_QR_VERSION}")
    lines = [bytes(map(bool, row)).translate(_BITS).decode("ascii") for row in modules]
    columns = _pack_lines("".join(column) for column in zip(*lines, strict=True))
    return _penalty(_pack_lines(lines), columns, _layout(version))


def _read_mask(modules: Sequence[Sequence[bool]]) -> int:
    positions = _format_positions(len(modules))
    first = sum(int(modules[row][column]) << index for index, ((row, column), _) in enumerate(positions))
    for mask in range(len(_MASKS)):
        if _format_bits(mask) == first:
            return mask
    raise ValueError("the symbol's format information is not level M")


def qr_matrix(url: str, *, fast: bool = True, mask: int | None = None) -> QrMatrix:
    """The QR symbol of a verify URL at level M, smallest version, at most 12.

    fast=True picks the mask by a bit-parallel evaluation of the ISO penalty rules; fast=False lets the
    qrcode library search (five to six times slower at version 12). mask=0-7 forces a mask, for reproducing a symbol.
    """
    parts = _split_url(url)
    if parts is None:
        raise FieldError(
            "url", "qr-url", "不是以 /v/ 加数字结尾的核验链接", "not a verify URL ending in /v/ and digits"
        )
    if mask is not None and (isinstance(mask, bool) or not isinstance(mask, int) or not 0 <= mask < len(_MASKS)):
        raise ValueError(f"mask must be 0-7 or None, got {mask!r}")
    prefix, digits = parts
    version = qr_version(len(prefix), len(digits))
    if version is None:
        raise QrTooLongError(
            "url",
            "qr-too-long",
            f"证书文字过长：{len(url)} 个字符的核验链接超出二维码版本 {MAX_QR_VERSION}（纠错等级 M）的容量",
            f"the certificate's text is too long for its QR code: a {len(url)}-character verify URL exceeds"
            f" version {MAX_QR_VERSION} at error correction level M",
        )
    symbol = qrcode.QRCode(
        version=version,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=0,
        mask_pattern=mask if not fast else 0,
    )
    symbol.add_data(QRData(prefix.encode("ascii"), mode=MODE_8BIT_BYTE))
    symbol.add_data(QRData(digits.encode("ascii"), mode=MODE_NUMBER))
    symbol.make(fit=False)
    if not fast:
        modules = tuple(tuple(bool(module) for module in row) for row in symbol.modules)
        return QrMatrix(version, _read_mask(modules), modules)
    layout = _layout(version)
    lines = [bytes(row).translate(_BITS).decode("ascii") for row in symbol.modules]
    # The library drew mask 0; XOR with its overlay leaves the unmasked symbol, to which any mask applies.
    rows = _pack_lines(lines) ^ layout.row_overlays[0]
    columns = _pack_lines("".join(column) for column in zip(*lines, strict=True)) ^ layout.column_overlays[0]
    if mask is None:
        mask = min(
            range(len(_MASKS)),
            key=lambda k: _penalty(rows ^ layout.row_overlays[k], columns ^ layout.column_overlays[k], layout),
        )
    width = layout.size + 2 * _PAD
    text = f"{rows ^ layout.row_overlays[mask]:0{width * layout.size}b}"
    modules = tuple(
        tuple(map("1".__eq__, text[start + _PAD : start + _PAD + layout.size]))
        for start in range(0, len(text), width)
    )
    return QrMatrix(version, mask, modules)

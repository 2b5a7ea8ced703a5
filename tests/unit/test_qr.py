"""The QR payload (format 1): the checked-in vector, tampering, strict parsing, size limits and scannable symbols."""

from __future__ import annotations

import io
import json
import pickle
import random
from dataclasses import replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import pytest
import qrcode
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image
from qrcode.util import MODE_8BIT_BYTE, MODE_NUMBER, QRData

from certificates.errors import FieldError
from certificates.identifiers import ID_TYPES
from certificates.qr import (
    ID_TYPE_CODES,
    MAX_DIGITS,
    PayloadError,
    QrMatrix,
    QrPayload,
    QrTooLongError,
    check_fits,
    fits,
    from_digits,
    mask_penalty,
    pack,
    parse_url,
    payload_url,
    qr_matrix,
    qr_version,
    sign_payload,
    signed_part,
    text_budget,
    to_digits,
    unpack,
    verify_payload_signature,
)
from certificates.signing import generate_private_key, key_id, load_private_key_pem, load_public_key_pem

DOC = Path(__file__).parents[2] / "docs" / "verification-format.md"
VECTOR = json.loads((Path(__file__).parent.parent / "data" / "qr-test-vector.json").read_text(encoding="utf-8"))
BASE_URL = VECTOR["base_url"]
TEST_KEY = load_private_key_pem(VECTOR["private_key_pem"].encode("ascii"))
VECTOR_PAYLOAD = QrPayload(**{**VECTOR["payload"], "issued_on": date.fromisoformat(VECTOR["payload"]["issued_on"])})
DUMMY_SIGNATURE = bytes(range(64))


def payload(**changes: object) -> QrPayload:
    return replace(VECTOR_PAYLOAD, **changes)


def render_png(matrix: QrMatrix, scale: int = 4, quiet: int = 4) -> bytes:
    side = (matrix.size + 2 * quiet) * scale
    image = Image.new("L", (side, side), 255)
    for row, line in enumerate(matrix.modules):
        for column, dark in enumerate(line):
            if dark:
                left, top = (column + quiet) * scale, (row + quiet) * scale
                image.paste(0, (left, top, left + scale, top + scale))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def scan(png: bytes) -> list[zxingcpp.Result]:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))


# ---- The checked-in test vector


def test_vector_reproduces_byte_for_byte() -> None:
    assert key_id(TEST_KEY.public_key()) == VECTOR["key_id"] == VECTOR_PAYLOAD.key_id
    doc = DOC.read_text(encoding="utf-8")  # the specification prints the same vector
    assert VECTOR["public_key_pem"] in doc and VECTOR["private_key_pem"] in doc
    assert VECTOR["signature_hex"][:64] in doc and VECTOR["signature_hex"][64:] in doc
    assert all(VECTOR["digits"][start : start + 100] in doc for start in range(0, len(VECTOR["digits"]), 100))
    assert signed_part(VECTOR_PAYLOAD).hex() == VECTOR["signed_part_hex"]
    signature = sign_payload(VECTOR_PAYLOAD, TEST_KEY)
    assert signature.hex() == VECTOR["signature_hex"]  # deterministic ECDSA (RFC 6979)
    data = pack(VECTOR_PAYLOAD, signature)
    assert data.hex() == VECTOR["payload_hex"]
    assert to_digits(data) == VECTOR["digits"]
    assert payload_url(BASE_URL, data) == payload_url(BASE_URL + "/", data) == VECTOR["url"]
    assert qr_matrix(VECTOR["url"]).version == VECTOR["qr_version"]


def test_vector_verifies_from_the_url_alone() -> None:
    read, signed, signature = unpack(parse_url(VECTOR["url"]))
    assert read == VECTOR_PAYLOAD
    assert signed.hex() == VECTOR["signed_part_hex"]
    public_key = load_public_key_pem(VECTOR["public_key_pem"].encode("ascii"))
    assert key_id(public_key) == read.key_id
    assert verify_payload_signature(signed, signature, public_key)
    assert not verify_payload_signature(signed, signature, generate_private_key().public_key())


def test_id_type_codes_cover_every_document_type() -> None:
    # A new document type needs a new code here, appended: the codes are signed into every QR.
    assert set(ID_TYPE_CODES) == set(ID_TYPES)
    assert sorted(ID_TYPE_CODES.values()) == list(range(1, len(ID_TYPES) + 1))


# ---- Round trips


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"id_type": "taiwan_permit", "masked_id": "12****(B)"},
        {"id_type": "passport", "masked_id": "*****", "holder_name": "Zoë O'Neil-Smith"},
        {"number": "Y000044123456195000001", "level": 5, "work_type": "--", "standard_version": "2018"},
        {"number": "A000000000000001000000", "level": 1, "issued_on": date(1970, 1, 1)},
        {"number": "Z999999999999995999999", "level": 5, "issued_on": date(2149, 6, 6)},
        {"holder_name": "阿依古丽·买买提", "work_type": "家庭照护员"},
        {"holder_name": "𠀀" * 63, "work_type": "工" * 85},  # 252 and 255 bytes: the longest strings there are
        {"holder_name": "葛\U000e0100"},  # an ideograph with a variation selector
    ],
)
def test_pack_unpack_round_trip(changes: dict[str, object]) -> None:
    original = payload(**changes)
    data = pack(original, DUMMY_SIGNATURE)
    assert from_digits(to_digits(data)) == data
    read, signed, signature = unpack(parse_url(payload_url("http://localhost:5000/", data)))
    assert (read, signed, signature) == (original, signed_part(original), DUMMY_SIGNATURE)


def test_sign_and_verify_round_trip_with_a_fresh_key() -> None:
    key = generate_private_key()
    mine = payload(key_id=key_id(key.public_key()))
    signature = sign_payload(mine, key)
    assert len(signature) == 64 and sign_payload(mine, key) == signature
    assert verify_payload_signature(signed_part(mine), signature, key.public_key())


def test_signing_refuses_a_payload_naming_another_key() -> None:
    with pytest.raises(FieldError) as caught:
        sign_payload(VECTOR_PAYLOAD, generate_private_key())
    assert caught.value.field == "key_id"


# ---- Tampering


def test_changing_any_byte_of_the_signed_part_is_caught() -> None:
    data = bytes.fromhex(VECTOR["payload_hex"])
    public_key = TEST_KEY.public_key()
    signed_length = len(VECTOR["signed_part_hex"]) // 2
    for index in range(signed_length):
        for flip in (0x01, 0x80):
            forged = bytearray(data)
            forged[index] ^= flip
            try:
                _, signed, signature = unpack(bytes(forged))
            except PayloadError:
                continue
            assert not verify_payload_signature(signed, signature, public_key), (index, flip)


@pytest.mark.parametrize(
    "signature",
    [
        b"",
        bytes(63),
        bytes(65),
        bytes(64),  # r = s = 0
        b"\xff" * 64,  # r, s >= the group order
        bytes.fromhex(VECTOR["signature_hex"])[:32] * 2,
        "not bytes",
    ],
)
def test_malformed_signatures_are_false_not_errors(signature: bytes) -> None:
    signed = bytes.fromhex(VECTOR["signed_part_hex"])
    assert verify_payload_signature(signed, signature, TEST_KEY.public_key()) is False


def test_verify_refuses_a_key_of_another_curve() -> None:
    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(TypeError):
        verify_payload_signature(b"x", bytes(64), other)  # type: ignore[arg-type]


# ---- Strict parsing of untrusted input


def _signed(**changes: object) -> bytearray:
    return bytearray(signed_part(payload(**changes)))


def _with_texts(*texts: bytes) -> bytes:
    head = bytes(_signed()[:41])
    return head + b"".join(bytes((len(text),)) + text for text in texts) + DUMMY_SIGNATURE


_GOOD_TEXTS = ("欧阳𪚥".encode(), b"110105********002X", b"4-10-01-06", "母婴护理员".encode(), b"2019")


def _texts_with(index: int, value: bytes) -> bytes:
    texts = list(_GOOD_TEXTS)
    texts[index] = value
    return _with_texts(*texts)


def _patched(offset: int, value: bytes) -> bytes:
    data = _signed()
    data[offset : offset + len(value)] = value
    return bytes(data) + DUMMY_SIGNATURE


MALFORMED = {
    "empty": b"",
    "format version 0": _patched(0, b"\x00"),
    "format version 2": _patched(0, b"\x02"),
    "shorter than any payload": b"\x01" * 100,
    "last byte missing": bytes.fromhex(VECTOR["payload_hex"])[:-1],
    "trailing byte": bytes.fromhex(VECTOR["payload_hex"]) + b"\x00",
    "lower-case letter": _patched(1, b"s"),
    "letter not a letter": _patched(1, b"@"),
    "number digits >= 10**21": _patched(2, (10**21).to_bytes(9, "big")),
    "level 0": _patched(13, b"\x00"),
    "level 6": _patched(13, b"\x06"),
    "level differs from the number": _patched(13, b"\x02"),
    "ID type code 0": _patched(14, b"\x00"),
    "ID type code 7": _patched(14, b"\x07"),
    "credit code not ASCII": _patched(23, b"\xe4"),
    "credit code check character": _patched(40, b"0"),
    "credit code outside the alphabet": _patched(23, b"I"),
    "name not UTF-8": _texts_with(0, b"\xe6\xac"),
    "name overlong UTF-8": _texts_with(0, b"\xc0\xaf"),
    "name not NFC": _texts_with(0, "Cafe\u0301".encode()),
    "name with a control character": _texts_with(0, b"Li\x00Na"),
    "name with a line break": _texts_with(0, "张\u2028三".encode()),
    "empty name": _texts_with(0, b""),
    "masked ID unmasked": _texts_with(1, b"11010519491231002X"),
    "masked ID lower case": _texts_with(1, b"e12****34"),
    "occupation code shape": _texts_with(2, b"4-10-1-06"),
    "empty work type": _texts_with(3, b""),
    "standard version not a year": _texts_with(4, "2019年".encode()),
    "length runs into the signature": _with_texts(*_GOOD_TEXTS[:4])[:-64] + b"\x45" + b"2019" + DUMMY_SIGNATURE,
    "only four strings": _with_texts(*_GOOD_TEXTS[:4]),
    "six strings": _with_texts(*_GOOD_TEXTS, b"x"),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_unpack_refuses_malformed_payloads(data: bytes) -> None:
    with pytest.raises(PayloadError) as caught:
        unpack(data)
    assert caught.value.message_zh.startswith("二维码内容无效")


def test_unpack_names_an_unsupported_version() -> None:
    with pytest.raises(PayloadError) as caught:
        unpack(_patched(0, b"\x02"))
    assert caught.value.reason == "payload-version"


@pytest.mark.parametrize(
    "text",
    ["", "0", "0123", "12a3", " 123", "123 ", "123\n", "+123", "-123", "1_000", "١٢٣", "１２３", "1" * (MAX_DIGITS + 1)]
    + [123],
)
def test_from_digits_is_strict(text: str) -> None:
    with pytest.raises(PayloadError):
        from_digits(text)


def test_from_digits_has_a_length_limit_below_pythons() -> None:
    assert MAX_DIGITS < 4300  # int() refuses longer text by default
    with pytest.raises(PayloadError):
        from_digits("9" * MAX_DIGITS)  # as many digits as allowed, but more than 1385 bytes


@pytest.mark.parametrize(
    "url",
    [
        "https://zscx.example.cn/v/",
        "https://zscx.example.cn/q/" + VECTOR["digits"],
        "https://zscx.example.cn/v/" + VECTOR["digits"] + "/",
        "https://zscx.example.cn/v/" + VECTOR["digits"] + "?lang=en",
        "https://zscx.example.cn/v/" + VECTOR["digits"] + "#top",
        "https://zscx.example.cn/v/0" + VECTOR["digits"],
        "https://zscx.example.cn/v/ " + VECTOR["digits"],
        "https://证书.example.cn/v/" + VECTOR["digits"],
        "https://zscx.example.cn/V/" + VECTOR["digits"],
        VECTOR["digits"],
        None,
    ],
)
def test_parse_url_is_strict(url: str) -> None:
    with pytest.raises(PayloadError):
        parse_url(url)


@pytest.mark.parametrize(
    "prefix", ["http://localhost:5000/v/", "zscx.example.cn/v/", "https://a.example/registry/v/x/v/", "/v/"]
)
def test_parse_url_accepts_any_scheme_and_host(prefix: str) -> None:
    assert parse_url(prefix + VECTOR["digits"]).hex() == VECTOR["payload_hex"]


# ---- Validation when encoding: the error names the field

BAD_FIELDS = [
    ("number", {"number": "S00011100012325300004"}),
    ("number", {"number": "s000111000123253000042"}),
    ("number", {"number": "S00011100012325300004X"}),
    ("level", {"level": 0}),
    ("level", {"level": 6}),
    ("level", {"level": True}),
    ("level", {"level": 4}),  # the number says 3
    ("id_type", {"id_type": "driving_licence"}),
    ("masked_id", {"masked_id": "11010519491231002X"}),
    ("occupation_code", {"occupation_code": "4100106"}),
    ("standard_version", {"standard_version": "18"}),
    ("key_id", {"key_id": VECTOR["key_id"].upper()}),
    ("key_id", {"key_id": VECTOR["key_id"][:15]}),
    ("body_code", {"body_code": "52110000MJ01234560"}),
    ("body_code", {"body_code": "52110000mj01234569"}),
    ("issued_on", {"issued_on": date(1969, 12, 31)}),
    ("issued_on", {"issued_on": date(2149, 6, 7)}),
    ("issued_on", {"issued_on": datetime(2025, 6, 30, 9, 0)}),
    ("holder_name", {"holder_name": ""}),
    ("holder_name", {"holder_name": "Cafe\u0301"}),
    ("holder_name", {"holder_name": "张\t三"}),
    ("work_type", {"work_type": ""}),
]


@pytest.mark.parametrize(("field", "changes"), BAD_FIELDS)
def test_encoding_refuses_bad_fields_naming_them(field: str, changes: dict[str, object]) -> None:
    with pytest.raises(FieldError) as caught:
        signed_part(payload(**changes))
    assert caught.value.field == field


def test_a_name_longer_than_255_bytes_is_refused_with_its_size() -> None:
    with pytest.raises(FieldError) as caught:
        pack(payload(holder_name="欧" * 86), DUMMY_SIGNATURE)  # 258 bytes
    error = caught.value
    assert (error.field, error.reason) == ("holder_name", "qr-text-too-long")
    assert "258" in error.message_en and "258" in error.message_zh


# ---- What fits in a QR code of version 12-M


def test_realistic_certificate_fits_version_12() -> None:
    mine = payload(
        holder_name="李秀英", work_type="家庭照护员（失能老人照护方向）", number="S000111000123252000042", level=2
    )
    worst = check_fits(mine, BASE_URL)
    data = pack(mine, sign_payload(mine, TEST_KEY))
    assert qr_matrix(payload_url(BASE_URL, data)).version <= worst <= 12


def test_text_budget_for_the_documented_base_url() -> None:
    assert text_budget(BASE_URL) == text_budget(BASE_URL + "/") == 149  # the figure in docs/verification-format.md
    assert text_budget("https://zscx.mohrss.example.gov.cn/certificates") > 100


def _strings_of_size(total: int) -> dict[str, str]:
    fixed = len("110105********002X") + len("4-10-01-06") + len("2019") + len("--")
    return {"holder_name": "x" * (total - fixed), "work_type": "--"}


def test_every_payload_within_the_budget_fits_even_with_the_largest_value() -> None:
    budget = text_budget(BASE_URL)
    largest = payload(number="Z999999999999993999999", **_strings_of_size(budget))
    data = pack(largest, b"\xff" * 64)
    assert fits(largest, BASE_URL)
    assert qr_matrix(payload_url(BASE_URL, data)).version == 12
    assert not fits(payload(**_strings_of_size(budget + 1)), BASE_URL)


def test_too_much_text_for_the_qr_is_refused_naming_the_longest_field() -> None:
    wordy = payload(holder_name="欧阳" * 20, work_type="家庭照护员" * 4)  # 120 + 60 bytes, each under 255
    assert not fits(wordy, BASE_URL)
    with pytest.raises(QrTooLongError) as caught:
        check_fits(wordy, BASE_URL)
    error = caught.value
    assert (error.field, error.reason) == ("holder_name", "qr-too-long")
    assert "149" in error.message_en and "姓名" in error.message_zh
    with pytest.raises(QrTooLongError) as caught_url:
        qr_matrix(payload_url(BASE_URL, pack(wordy, DUMMY_SIGNATURE)))
    assert caught_url.value.field == "url"


def _through_pickle(error: Exception) -> Exception:
    return pickle.loads(pickle.dumps(error))  # noqa: S301  (our own object, as a task queue would carry it)


def test_errors_survive_pickling() -> None:
    too_long = QrTooLongError("holder_name", "qr-too-long", "过长", "too long")
    copied = _through_pickle(too_long)
    assert type(copied) is QrTooLongError and repr(copied) == repr(too_long)
    malformed = _through_pickle(PayloadError("payload-digits", "数字", "digits"))
    assert isinstance(malformed, PayloadError)
    assert (malformed.reason, malformed.message_zh, malformed.message_en) == ("payload-digits", "数字", "digits")


def _library_version(prefix: bytes, digits: bytes) -> int | None:
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    symbol.add_data(QRData(prefix, mode=MODE_8BIT_BYTE))
    symbol.add_data(QRData(digits, mode=MODE_NUMBER))
    version = symbol.best_fit()
    return version if version <= 12 else None


@pytest.mark.parametrize("prefix", [b"/v/", b"https://zscx.example.cn/v/", b"https://" + b"x" * 80 + b".cn/v/"])
def test_version_arithmetic_agrees_with_the_qrcode_library(prefix: bytes) -> None:
    for digits in range(1, 720, 7):
        assert qr_version(len(prefix), digits) == _library_version(prefix, b"7" * digits), digits


# ---- The symbol: scannable, and the fast mask choice equals a plain evaluation of the ISO rules


@pytest.mark.parametrize("fast", [True, False], ids=["fast-mask", "library-mask-search"])
@pytest.mark.parametrize("url_kind", ["vector", "version-12"])
def test_rendered_png_decodes_to_exactly_the_url(fast: bool, url_kind: str) -> None:
    if url_kind == "vector":
        url = VECTOR["url"]
    else:
        largest = payload(number="Z999999999999993999999", **_strings_of_size(text_budget(BASE_URL)))
        url = payload_url(BASE_URL, pack(largest, b"\xff" * 64))
    matrix = qr_matrix(url, fast=fast)
    found = scan(render_png(matrix))
    assert [result.text for result in found] == [url]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level == "M"
    assert found[0].extra["Version"] == str(matrix.version)
    assert found[0].extra["DataMask"] == matrix.mask


def _url_for_version(version: int) -> str:
    digits = 1
    while (needed := qr_version(3, digits + 1)) is not None and needed <= version:
        digits += 1
    return "/v/" + "".join(random.Random(version).choice("0123456789") for _ in range(digits))


@pytest.mark.parametrize("version", range(1, 13))
def test_fast_path_draws_the_same_symbol_as_the_library_for_every_mask(version: int) -> None:
    url = _url_for_version(version)
    for mask in range(8):
        fast = qr_matrix(url, mask=mask)
        library = qr_matrix(url, fast=False, mask=mask)
        assert (fast.version, fast.mask) == (library.version, library.mask) == (version, mask)
        assert fast.modules == library.modules


_FINDER_LIKE = [True, False, True, True, True, False, True, False, False, False, False]


def reference_penalty(modules: list[list[bool]] | tuple[tuple[bool, ...], ...]) -> int:
    """ISO/IEC 18004 §7.8.3.1 module by module, modules outside the symbol counting as light."""
    size = len(modules)
    lines = [list(row) for row in modules] + [[modules[r][c] for r in range(size)] for c in range(size)]
    score = 0
    for line in lines:
        run = 1
        for previous, current in zip(line, line[1:], strict=False):
            if current == previous:
                run += 1
                continue
            score += run - 2 if run >= 5 else 0
            run = 1
        score += run - 2 if run >= 5 else 0
        padded = [False] * 4 + line + [False] * 4
        for start in range(len(padded) - 10):
            if padded[start : start + 11] in (_FINDER_LIKE, _FINDER_LIKE[::-1]):
                score += 40
    for r in range(size - 1):
        for c in range(size - 1):
            if modules[r][c] == modules[r][c + 1] == modules[r + 1][c] == modules[r + 1][c + 1]:
                score += 3
    dark = sum(sum(row) for row in modules)
    return score + 10 * int(abs(Fraction(100 * dark, size * size) - 50) / 5)


def test_fast_path_picks_the_mask_with_the_lowest_reference_penalty() -> None:
    for url in (VECTOR["url"], _url_for_version(12), _url_for_version(7)):
        scores = [reference_penalty(qr_matrix(url, mask=mask).modules) for mask in range(8)]
        assert qr_matrix(url).mask == scores.index(min(scores))
        assert [mask_penalty(qr_matrix(url, mask=mask).modules) for mask in range(8)] == scores


@pytest.mark.parametrize("size", [21, 45, 65])
def test_mask_penalty_matches_the_reference_on_random_symbols(size: int) -> None:
    rng = random.Random(size)
    for density in (0.2, 0.5, 0.8):
        modules = [[rng.random() < density for _ in range(size)] for _ in range(size)]
        modules[3][:11] = _FINDER_LIKE  # a finder-like row pattern
        modules[size - 1][-7:] = _FINDER_LIKE[:7]  # one ending at the symbol's edge, the quiet zone beyond
        assert mask_penalty(modules) == reference_penalty(modules)


@pytest.mark.parametrize("url", ["https://zscx.example.cn/x/123", "https://zscx.example.cn/v/12a", "/v/", 42])
def test_qr_matrix_refuses_anything_but_a_verify_url(url: str) -> None:
    with pytest.raises(FieldError) as caught:
        qr_matrix(url)
    assert caught.value.field == "url"

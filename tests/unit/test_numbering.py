"""The 22-character certificate number: formatting, parsing and the position each error names."""

from __future__ import annotations

import dataclasses

import pytest

from certificates import (
    PROVINCES,
    CertificateNumber,
    FieldError,
    format_number,
    is_legacy_number,
    number_prefix,
    parse_number,
    validate_body_code,
    validate_province,
    validate_site_code,
)

EXAMPLE = "Y000144123456263000001"


def test_format_and_parse_round_trip() -> None:
    number = CertificateNumber("Y", "0001", "44", "123456", 2026, 3, 1)
    assert number.text == EXAMPLE
    assert str(number) == EXAMPLE
    assert number.prefix == "Y000144123456"
    assert parse_number(EXAMPLE) == number
    assert format_number("S", "0000", "11", "000007", 2031, 1, 999999) == "S000011000007311999999"
    assert parse_number("s000011000007311999999").year == 2031


def test_number_is_frozen() -> None:
    number = parse_number(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        number.serial = 2  # type: ignore[misc]


def test_prefix_validates() -> None:
    assert number_prefix("S", "0000", "65", "000001") == "S000065000001"
    with pytest.raises(FieldError) as info:
        number_prefix("S", "0000", "99", "000001")
    assert (info.value.field, info.value.reason) == ("province", "province-unknown")


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("X000144123456263000001", "position 1 "),
        ("Y00A144123456263000001", "position 2-5 "),
        ("Y000199123456263000001", "position 6-7 "),
        ("Y0001441234S6263000001", "position 8-13 "),
        ("Y000144123456Z63000001", "position 14-15 "),
        ("Y000144123456266000001", "position 16 "),
        ("Y000144123456260000001", "position 16 "),
        ("Y000144123456263000000", "position 17-22 "),
        ("Y00014412345626300000A", "position 17-22 "),
    ],
)
def test_each_position_error(text: str, position: str) -> None:
    with pytest.raises(FieldError) as info:
        parse_number(text)
    err = info.value
    assert (err.field, err.reason) == ("number", "certificate-number-format")
    assert position in err.message_en
    assert f"第 {position.split()[1]} 位" in err.message_zh


@pytest.mark.parametrize("text", ["", "Y00014412345626300000", "Y0001441234562630000011"])
def test_length_error(text: str) -> None:
    with pytest.raises(FieldError) as info:
        parse_number(text)
    assert "22" in info.value.message_en and "22" in info.value.message_zh


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "X"}, "kind"),
        ({"body_code": "12345"}, "body_code"),
        ({"province": "00"}, "province"),
        ({"site_code": "12345"}, "site_code"),
        ({"year": 1999}, "year"),
        ({"level": 6}, "level"),
        ({"level": True}, "level"),
        ({"serial": 0}, "serial"),
        ({"serial": 1_000_000}, "serial"),
    ],
)
def test_constructor_refuses_bad_parts(fields: dict[str, object], field: str) -> None:
    parts: dict[str, object] = {
        "kind": "Y",
        "body_code": "0001",
        "province": "44",
        "site_code": "123456",
        "year": 2026,
        "level": 3,
        "serial": 1,
    } | fields
    with pytest.raises(FieldError) as info:
        CertificateNumber(**parts)  # type: ignore[arg-type]
    assert info.value.field == field


def test_provinces() -> None:
    assert len(PROVINCES) == 34
    assert PROVINCES["11"][0] == "北京市" and PROVINCES["65"][1] == "Xinjiang"
    assert {"71", "81", "82"} <= PROVINCES.keys()
    assert validate_province("44") == "44"


def test_part_validators() -> None:
    assert validate_body_code("0000") == "0000"
    assert validate_site_code("000001") == "000001"
    for call, value in [
        (validate_body_code, "００01"),
        (validate_site_code, "１２３４５６"),
        (validate_body_code, 1),
    ]:
        with pytest.raises(FieldError):
            call(value)  # type: ignore[arg-type]


def test_legacy_numbers() -> None:
    assert is_legacy_number("1234567890123456")
    assert is_legacy_number(" 1234567890123456 ")
    assert not is_legacy_number("123456789012345")
    assert not is_legacy_number(EXAMPLE)

"""Identity documents, credit codes and names: published vectors and the errors a clerk would see."""

from __future__ import annotations

from datetime import date

import pytest

from certificates import (
    ID_TYPES,
    FieldError,
    make_foreign_permanent_id,
    make_resident_id,
    make_uscc,
    mask_id,
    mod11_2_check,
    normalize_id,
    resident_id_birth_date,
    resident_id_sex,
    uscc_check_char,
    validate_name,
    validate_uscc,
)

GB11643_EXAMPLE = "11010519491231002X"  # the worked example of GB 11643-1999
HUAWEI_USCC = "914403001922038216"  # 华为技术有限公司, published on its business licence
TENCENT_USCC = "9144030071526726XG"  # 腾讯科技（深圳）有限公司
# A 2023 foreign permanent residence number published with the card's adaptation notes:
# 9, acceptance province 32, nationality 682, born 1985-01-01, sequence 001, check 7 (checked by hand).
FOREIGN_2023_EXAMPLE = "932682198501010017"
TODAY = date(2026, 1, 15)


def _error(call, *args, **kwargs) -> FieldError:
    with pytest.raises(FieldError) as info:
        call(*args, **kwargs)
    return info.value


def test_field_error_shape() -> None:
    err = FieldError("id_number", "id-number-check", "中文", "English")
    assert isinstance(err, ValueError)
    assert (err.field, err.reason, err.message_zh, err.message_en) == (
        "id_number",
        "id-number-check",
        "中文",
        "English",
    )
    assert str(err) == "id_number: English"


def test_mod11_2_gives_x_for_the_standard_example() -> None:
    assert mod11_2_check(GB11643_EXAMPLE[:17]) == "X"


def test_resident_id_valid_and_facts() -> None:
    assert normalize_id("resident", GB11643_EXAMPLE, today=TODAY) == GB11643_EXAMPLE
    assert resident_id_birth_date(GB11643_EXAMPLE) == date(1949, 12, 31)
    assert resident_id_sex(GB11643_EXAMPLE) == "F"
    assert resident_id_sex(make_resident_id("440106", date(1990, 5, 1), 13)) == "M"


def test_resident_id_wrong_check_names_the_right_character() -> None:
    err = _error(normalize_id, "resident", "110105194912310021", today=TODAY)
    assert (err.field, err.reason) == ("id_number", "id-number-check")
    assert "GB 11643 gives X" in err.message_en
    assert "应为 X" in err.message_zh


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        " 110105 19491231 002x ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105\u300019491231002X",
    ],
)
def test_resident_id_is_normalised(typed: str) -> None:
    assert normalize_id("resident", typed, today=TODAY) == GB11643_EXAMPLE


@pytest.mark.parametrize(
    ("birth", "wording"),
    [("19490231", "not a real date"), ("18991231", "before 1900-01-01"), ("20260116", "in the future")],
)
def test_resident_id_birth_date_rules(birth: str, wording: str) -> None:
    first17 = f"110105{birth}002"
    err = _error(normalize_id, "resident", first17 + mod11_2_check(first17), today=TODAY)
    assert err.reason == "id-number-birth-date"
    assert wording in err.message_en
    assert birth in err.message_zh


@pytest.mark.parametrize(
    "number",
    ["1101051949123100", "11010519491231002Y", "130105194912310A2X", "991051949123100200", "110105491231002"],
)
def test_resident_id_format(number: str) -> None:
    err = _error(normalize_id, "resident", number, today=TODAY)
    assert (err.field, err.reason) == ("id_number", "id-number-format")
    assert "居民身份证" in err.message_zh


def test_unknown_id_type() -> None:
    err = _error(normalize_id, "driving_licence", "123456")
    assert (err.field, err.reason) == ("id_type", "id-type-unknown")


def test_every_type_has_bilingual_label() -> None:
    assert list(ID_TYPES)[0] == "resident"
    assert all(zh and en for zh, en in ID_TYPES.values())


def test_make_resident_id_round_trips() -> None:
    number = make_resident_id("310104", date(2001, 2, 28), 7)
    assert number.startswith("31010420010228007")
    assert normalize_id("resident", number, today=TODAY) == number


def test_foreign_permanent_published_example_and_helper() -> None:
    assert normalize_id("foreign_permanent", FOREIGN_2023_EXAMPLE, today=TODAY) == FOREIGN_2023_EXAMPLE
    built = make_foreign_permanent_id("11", "840", date(1980, 7, 4), 12)
    assert built[:14] == "91184019800704" and len(built) == 18
    assert normalize_id("foreign_permanent", built, today=TODAY) == built
    assert resident_id_birth_date(built) == date(1980, 7, 4)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("932682198501010018", "id-number-check"),
        ("832682198501010017", "id-number-format"),  # must begin with 9
        ("999682198501010017", "id-number-format"),  # 99 is no province
        ("932682198502300017", "id-number-birth-date"),
        ("USA3100801011", "id-number-format"),
    ],
)
def test_foreign_permanent_errors(number: str, reason: str) -> None:
    assert _error(normalize_id, "foreign_permanent", number, today=TODAY).reason == reason


def test_foreign_permanent_pre_2023_card_still_accepted() -> None:
    assert normalize_id("foreign_permanent", "usa310080101102") == "USA310080101102"


def test_hmt_residence_permit() -> None:
    number = make_resident_id("810000", date(1995, 3, 8), 21)
    assert normalize_id("hmt_residence", number, today=TODAY) == number
    assert _error(normalize_id, "hmt_residence", GB11643_EXAMPLE).reason == "id-number-format"
    broken = number[:17] + ("0" if number[17] != "0" else "1")
    assert _error(normalize_id, "hmt_residence", broken, today=TODAY).reason == "id-number-check"


@pytest.mark.parametrize(
    ("id_type", "typed", "expected"),
    [
        ("passport", "e1234567 8", "E12345678"),
        ("passport", "EA1234567", "EA1234567"),
        ("passport", "X1234", "X1234"),
        ("hk_macao_permit", "h12345678", "H12345678"),
        ("hk_macao_permit", "M1234567801", "M1234567801"),
        ("taiwan_permit", "12345678", "12345678"),
        ("taiwan_permit", "0561682001（d）", "0561682001(D)"),
    ],
)
def test_other_documents_accepted(id_type: str, typed: str, expected: str) -> None:
    assert normalize_id(id_type, typed) == expected


@pytest.mark.parametrize(
    ("id_type", "typed"),
    [
        ("passport", "E123"),
        ("passport", "E1234567-8"),
        ("passport", "A" * 18),
        ("hk_macao_permit", "K12345678"),
        ("hk_macao_permit", "H1234567"),
        ("hk_macao_permit", "H123456789"),
        ("taiwan_permit", "1234567"),
        ("taiwan_permit", "T12345678"),
    ],
)
def test_other_documents_refused(id_type: str, typed: str) -> None:
    err = _error(normalize_id, id_type, typed)
    assert err.reason == "id-number-format"
    assert ID_TYPES[id_type][0] in err.message_zh
    assert ID_TYPES[id_type][1] in err.message_en


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (GB11643_EXAMPLE, "110105********002X"),
        ("M1234567801", "M12345*7801"),
        ("E12345678", "E1*****78"),
        ("12345678", "12****78"),
        ("1234", "****"),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked


@pytest.mark.parametrize("code", [HUAWEI_USCC, TENCENT_USCC])
def test_uscc_published_codes(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]


def test_uscc_normalises() -> None:
    assert validate_uscc(" 9144 0300 7152 6726 xg ") == TENCENT_USCC


def test_uscc_corrupted_check() -> None:
    err = _error(validate_uscc, "914403001922038217")
    assert (err.field, err.reason) == ("credit_code", "credit-code-check")
    assert "GB 32100 gives 6" in err.message_en


@pytest.mark.parametrize(
    ("code", "position"),
    [
        ("9144030019220382", "18"),
        ("91440300192203821O", "position 18"),  # the letter O is not in the alphabet
        ("Z14403001922038216", "position 1"),
        ("B14403001922038216", "position 1"),  # B is no registration department
        ("95440300192203821X", "position 2"),  # 工商 has categories 1-3 only
        ("91A40300192203821X", "positions 3-8"),
    ],
)
def test_uscc_format_names_the_position(code: str, position: str) -> None:
    err = _error(validate_uscc, code)
    assert err.reason == "credit-code-format"
    assert position in err.message_en


def test_uscc_check_of_31_is_written_0() -> None:
    # Weighted sum divisible by 31: GB 32100 writes the check 31 as 0.
    assert uscc_check_char("91110108MA0000007") == "0"
    assert validate_uscc("91110108MA00000070") == "91110108MA00000070"


def test_make_uscc() -> None:
    assert make_uscc(HUAWEI_USCC[:17]) == HUAWEI_USCC
    assert validate_uscc(make_uscc("51110000MJ0000001")).startswith("51110000MJ0000001")
    assert _error(make_uscc, "Y2110000MJ0000001").reason == "credit-code-format"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("\U00020000", "\U00020000"),
        ("欧阳𪚥", "欧阳𪚥"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽．买买提", "阿依古丽·买买提"),
        ("María José", "María José"),
        ("Mari\u0301a  José ", "María José"),
        ("  张\u3000 三 ", "张 三"),
        ("O'Brien-Smith", "O'Brien-Smith"),
        ("\U000323af", "\U000323af"),  # last character of CJK Extension H
        ("\U0002ebf0", "\U0002ebf0"),  # CJK Extension I, newer than this Python's Unicode tables
        ("\ufa0e", "\ufa0e"),  # a compatibility ideograph that NFC keeps
        ("葛\U000e0100", "葛\U000e0100"),  # ideographic variation sequence
    ],
)
def test_names_accepted(typed: str, expected: str) -> None:
    assert validate_name(typed) == expected


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("张3", "'3' (U+0033)"), ("张三!", "'!' (U+0021)"), ("张\x07三", "(U+0007)"), ("Иван", "(U+0418)")],
)
def test_names_refused_name_the_character(typed: str, shown: str) -> None:
    err = _error(validate_name, typed)
    assert (err.field, err.reason) == ("name", "name-characters")
    assert shown in err.message_en
    assert shown.split("(")[-1].rstrip(")") in err.message_zh


def test_name_length_and_shape() -> None:
    assert _error(validate_name, "   ").reason == "name-length"
    assert _error(validate_name, "张" * 65).reason == "name-length"
    assert validate_name("张" * 64) == "张" * 64
    assert _error(validate_name, "·").reason == "name-format"

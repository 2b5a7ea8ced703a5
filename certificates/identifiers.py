"""Holders' identity documents, names and bodies' unified social credit codes: normalise and validate."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from certificates.errors import FieldError
from certificates.numbering import PROVINCES

ID_TYPES: dict[str, tuple[str, str]] = {
    "resident": ("居民身份证", "Resident identity card"),
    "foreign_permanent": ("外国人永久居留身份证", "Foreign permanent residence ID card"),
    "hmt_residence": ("港澳台居民居住证", "Residence permit for Hong Kong, Macao and Taiwan residents"),
    "passport": ("护照", "Passport"),
    "hk_macao_permit": ("港澳居民来往内地通行证", "Mainland travel permit for Hong Kong and Macao residents"),
    "taiwan_permit": ("台湾居民来往大陆通行证", "Mainland travel permit for Taiwan residents"),
}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)
_MAINLAND = {code for code in PROVINCES if code < "70"}
_HMT_PREFIXES = ("810000", "820000", "830000")
# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, as typed with Chinese input methods.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_FOREIGN_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")
_FORMATS = {
    "passport": (re.compile(r"[A-Z0-9]{5,17}"), "5 至 17 位大写字母或数字", "5-17 capital letters or digits"),
    "hk_macao_permit": (
        re.compile(r"[HM][0-9]{8}([0-9]{2})?"),
        "H 或 M 加 8 位数字（旧证另加 2 位换证次数）",
        "H or M and 8 digits (older cards add 2 digits counting renewals)",
    ),
    "taiwan_permit": (
        re.compile(r"[0-9]{8}|[0-9]{10}(\([A-Z0-9]\))?"),
        "8 位数字（2008 年前的旧证为 10 位，可带括号内签发机关代码）",
        "8 digits (cards before 2008 have 10, optionally with an issuing-office code in brackets)",
    ),
}


def _id_error(reason: str, zh: str, en: str) -> FieldError:
    return FieldError("id_number", reason, zh, en)


def fold_id(text: str) -> str:
    """An ID number as stored: full-width characters made ASCII, spaces removed, upper case."""
    if not isinstance(text, str):
        raise _id_error("id-number-format", "证件号码应为文本", "ID number must be text")
    return "".join(text.translate(_FULL_WIDTH).split()).upper()



def mod11_2_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643 for the first 17 digits."""
    if not (len(first17) == 17 and first17.isascii() and first17.isdigit()):
        raise _id_error("id-number-format", "校验码计算需要 17 位数字", "the check needs exactly 17 digits")
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def resident_id_birth_date(number: str, *, today: date | None = None) -> date:
    """Birth date (characters 7-14) of an 18-character GB 11643-style number."""
    text = fold_id(number)
    if not _ID18.fullmatch(text):
        raise _id_error("id-number-format", "证件号码应为 18 位", "the ID number must have 18 characters")
    digits = text[6:14]
    problem: tuple[str, str] | None = None
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        problem = ("不是有效日期", "is not a real date")
    else:
        if born < _EARLIEST_BIRTH:
            problem = ("早于 1900-01-01", "is before 1900-01-01")
        elif born > (today or date.today()):
            problem = ("晚于今天", "is in the future")
    if problem is not None:
        zh, en = problem
        raise _id_error(
            "id-number-birth-date",
            f"证件号码中的出生日期 {digits} {zh}",
            f"birth date {digits} in the ID number {en}",
        )
    return born


def resident_id_sex(number: str) -> str:
    """'M' or 'F' from the 17th digit (odd for men) of a resident ID number."""
    text = fold_id(number)
    if not _ID18.fullmatch(text):
        raise _id_error("id-number-format", "证件号码应为 18 位", "the ID number must have 18 characters")
    return "M" if int(text[16]) % 2 else "F"


def make_resident_id(area: str, birth: date, sequence: int) -> str:
    """Build an 18-character number with its check character: 6-digit area, birth date, 3-digit sequence."""
    if not (len(area) == 6 and area.isascii() and area.isdigit()) or not 0 <= sequence <= 999:
        raise ValueError("area must be 6 digits and sequence 0-999")
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + mod11_2_check(first17)


def make_foreign_permanent_id(province: str, nationality: str, birth: date, sequence: int) -> str:
    """A 2023 foreign permanent residence ID: 9, acceptance province, 3-digit nationality, birth, sequence."""
    return make_resident_id(f"9{province}{nationality}", birth, sequence)


def _check_id18(text: str, today: date | None) -> str:
    resident_id_birth_date(text, today=today)
    expected = mod11_2_check(text[:17])
    if text[17] != expected:
        raise _id_error(
            "id-number-check",
            f"证件号码校验码错误：按 GB 11643 计算应为 {expected}",
            f"ID number check character is wrong: GB 11643 gives {expected}",
        )
    return text


def _format_error(id_type: str, zh_rule: str, en_rule: str) -> FieldError:
    zh_name, en_name = ID_TYPES[id_type]
    return _id_error(
        "id-number-format", f"{zh_name}号码格式错误：应为 {zh_rule}", f"{en_name} number must be {en_rule}"
    )


# 18-character numbers sharing the GB 11643 birth date and check: type -> (extra rule, rule text zh, en).
_ID18_TYPES: dict[str, tuple[Callable[[str], bool], str, str]] = {
    "resident": (
        lambda text: text[:2] in _MAINLAND,
        "18 位：省级开头的地址码、出生日期、顺序码和校验码",
        "18 characters: area code of a province, birth date, sequence and a check digit or X",
    ),
    "foreign_permanent": (
        lambda text: text[0] == "9" and text[1:3] in PROVINCES,
        "18 位：9、2 位受理地省级代码、3 位国籍代码、出生日期、3 位顺序码和校验码"
        "（2023 年前的旧证为 3 位字母加 12 位数字）",
        "18 characters: 9, a 2-digit province, 3-digit nationality, birth date, 3-digit sequence, check"
        " (older cards: 3 letters and 12 digits)",
    ),
    "hmt_residence": (
        lambda text: text.startswith(_HMT_PREFIXES),
        "18 位，以 810000、820000 或 830000 开头",
        "18 characters beginning 810000, 820000 or 830000",
    ),
}


def normalize_id(id_type: str, number: str, *, today: date | None = None) -> str:
    """Strip spaces, fold full-width and lower case, then validate by document type."""
    if id_type not in ID_TYPES:
        raise FieldError("id_type", "id-type-unknown", f"未知的证件类型 {id_type!r}", f"unknown ID type {id_type!r}")
    text = fold_id(number)
    if id_type == "foreign_permanent" and _FOREIGN_2017.fullmatch(text):
        return text  # the 15-character card issued until November 2023 stays valid until it expires
    if id_type in _ID18_TYPES:
        rule, zh_rule, en_rule = _ID18_TYPES[id_type]
        if not (_ID18.fullmatch(text) and rule(text)):
            raise _format_error(id_type, zh_rule, en_rule)
        return _check_id18(text, today)
    pattern, zh_rule, en_rule = _FORMATS[id_type]
    if not pattern.fullmatch(text):
        raise _format_error(id_type, zh_rule, en_rule)
    return text


def mask_id(number: str) -> str:
    """Public form of a document number: first 6 and last 4 kept (first 2 and last 2 when shorter than 11)."""
    keep_head, keep_tail = (6, 4) if len(number) >= 11 else (2, 2)
    if len(number) <= keep_head + keep_tail:
        return "*" * len(number)
    return number[:keep_head] + "*" * (len(number) - keep_head - keep_tail) + number[-keep_tail:]


# 统一社会信用代码, GB 32100-2015: registration department -> (zh, en, allowed institution categories).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_DEPARTMENTS: dict[str, tuple[str, str, str]] = {
    "1": ("机构编制", "establishment administration", "1239"),
    "2": ("外交", "foreign affairs", "19"),
    "3": ("司法行政", "justice administration", "123459"),
    "4": ("文化", "culture", "19"),
    "5": ("民政", "civil affairs", "1239"),
    "6": ("旅游", "tourism", "129"),
    "7": ("宗教", "religious affairs", "129"),
    "8": ("工会", "trade unions", "19"),
    "9": ("工商", "market regulation (industry and commerce)", "123"),
    "A": ("中央军委改革和编制办公室", "CMC reform and establishment office", "19"),
    "N": ("农业", "agriculture", "1239"),
    "Y": ("其他", "other", "1"),
}


def _uscc_error(reason: str, zh: str, en: str) -> FieldError:
    return FieldError("credit_code", reason, f"统一社会信用代码{zh}", f"unified social credit code {en}")


def _check_uscc_body(body: str) -> None:
    for position, char in enumerate(body, start=1):
        if char not in USCC_ALPHABET:
            raise _uscc_error(
                "credit-code-format",
                f"第 {position} 位 “{char}” 不在 GB 32100 字符集中（不用 I、O、S、V、Z）",
                f"position {position} '{char}' is outside the GB 32100 alphabet (no I, O, S, V, Z)",
            )
    department = USCC_DEPARTMENTS.get(body[0])
    if department is None:
        raise _uscc_error(
            "credit-code-format",
            f"第 1 位登记管理部门码 “{body[0]}” 不存在",
            f"position 1 registration department '{body[0]}' does not exist",
        )
    if body[1] not in department[2]:
        raise _uscc_error(
            "credit-code-format",
            f"第 2 位机构类别码 “{body[1]}” 不属于登记管理部门“{department[0]}”（应为 {department[2]} 之一）",
            f"position 2 category '{body[1]}' does not exist under registration department {department[1]}"
            f" (allowed: {', '.join(department[2])})",
        )
    if not body[2:8].isdigit():
        raise _uscc_error(
            "credit-code-format",
            f"第 3-8 位行政区划码应为 6 位数字，而非 {body[2:8]}",
            f"positions 3-8 (administrative division) must be 6 digits, not {body[2:8]}",
        )


def uscc_check_char(first17: str) -> str:
    if len(first17) != 17 or any(char not in USCC_ALPHABET for char in first17):
        raise _uscc_error("credit-code-format", "校验位计算需要 17 位有效字符", "check needs 17 valid characters")
    remainder = 31 - sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True)) % 31
    return USCC_ALPHABET[0 if remainder == 31 else remainder]


def make_uscc(first17: str) -> str:
    """Append the check character to 17 plausible characters (demo data and tests)."""
    body = fold_id(first17)
    if len(body) != 17:
        raise _uscc_error("credit-code-format", "本体应为 17 位", "body must have 17 characters")
    _check_uscc_body(body)
    return body + uscc_check_char(body)


def validate_uscc(code: str) -> str:
    """Normalise and validate an 18-character 统一社会信用代码 (GB 32100-2015)."""
    if not isinstance(code, str):
        raise _uscc_error("credit-code-format", "应为文本", "must be text")
    text = "".join(code.translate(_FULL_WIDTH).split()).upper()
    if len(text) != 18:
        raise _uscc_error(
            "credit-code-format", f"应为 18 位，收到 {len(text)} 位", f"has 18 characters, got {len(text)}"
        )
    _check_uscc_body(text)
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        raise _uscc_error(
            "credit-code-check",
            f"校验码错误：按 GB 32100 计算应为 {expected}",
            f"check character is wrong: GB 32100 gives {expected}",
        )
    return text


# Holders' names. Ranges are listed (not looked up in unicodedata) so that ideographs newer than the
# running Python's Unicode tables, e.g. Extension H and I, are still accepted.
_IDEOGRAPH_RANGES = (
    (0x3007, 0x3007),  # 〇
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # URO
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x2FFFD),  # plane 2: Extensions B-F and I, compatibility supplement
    (0x30000, 0x3FFFD),  # plane 3: Extensions G, H and later
)
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_SEPARATORS = frozenset(" -'·")
_NAME_FOLDS = (
    dict.fromkeys(map(ord, "\u2022\u30fb\uff0e\uff65\u2027\u22c5\u2219"), "·")
    | dict.fromkeys(map(ord, "\u2010\u2011\uff0d"), "-")
    | dict.fromkeys(map(ord, "\u2019\uff07"), "'")
    | {0x3000: " "}
    | {code: chr(code - 0xFEE0) for code in (*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
)
_SPACES = re.compile(" {2,}")


def _in(ranges: tuple[tuple[int, int], ...], char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in ranges)


def _is_latin(char: str) -> bool:
    if 0x0300 <= ord(char) <= 0x036F:  # combining diacritics left over where NFC has no precomposed form
        return True
    return unicodedata.category(char).startswith("L") and unicodedata.name(char, "").startswith("LATIN ")


def _name_error(reason: str, zh: str, en: str) -> FieldError:
    return FieldError("name", reason, f"姓名{zh}", f"name {en}")


def validate_name(name: str) -> str:
    """Normalise a holder's name as it will be printed; rare ideographs are always accepted."""
    if not isinstance(name, str):
        raise _name_error("name-characters", "应为文本", "must be text")
    text = unicodedata.normalize("NFC", name).translate(_NAME_FOLDS).strip()
    text = _SPACES.sub(" ", text)
    if not 1 <= len(text) <= 64:
        raise _name_error(
            "name-length",
            f"应为 1 至 64 个字符，收到 {len(text)} 个",
            f"must have 1-64 characters, got {len(text)}",
        )
    previous = ""
    for char in text:
        allowed = (
            _in(_IDEOGRAPH_RANGES, char)
            or char in _SEPARATORS
            or _is_latin(char)
            or (_in(_VARIATION_SELECTORS, char) and previous != "" and _in(_IDEOGRAPH_RANGES, previous))
        )
        if not allowed:
            shown = f"“{char}”" if char.isprintable() else "不可见字符"
            shown_en = f"'{char}'" if char.isprintable() else "an invisible character"
            raise _name_error(
                "name-characters",
                f"含不允许的字符 {shown}（U+{ord(char):04X}）：只可使用汉字、拉丁字母、间隔号“·”、空格、连字符和撇号",
                f"contains {shown_en} (U+{ord(char):04X}), which is not allowed: only Chinese characters,"
                " Latin letters, the middle dot '·', spaces, hyphens and apostrophes are",
            )
        previous = char
    if all(char in _SEPARATORS for char in text):
        raise _name_error("name-format", "不能只有分隔符号", "cannot consist of separators only")
    return text

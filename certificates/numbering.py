"""The 22-character certificate number of 人社鉴发〔2021〕1号 and the GB/T 2260 province codes in it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from certificates.errors import FieldError

NUMBER_LENGTH = 22
PREFIX_LENGTH = 13
BODY_KINDS: dict[str, tuple[str, str]] = {
    "Y": ("用人单位", "employer"),
    "S": ("社会培训评价组织", "social training-evaluation organisation"),
}

# First two digits of GB/T 2260: the 34 provincial-level divisions.
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"),
    "12": ("天津市", "Tianjin"),
    "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"),
    "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"),
    "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"),
    "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"),
    "81": ("香港特别行政区", "Hong Kong"),
    "82": ("澳门特别行政区", "Macao"),
}

_DIGITS = re.compile(r"[0-9]+")
_LEGACY = re.compile(r"[0-9]{16}")


def _digits(text: str, length: int) -> bool:
    return len(text) == length and _DIGITS.fullmatch(text) is not None


def validate_kind(kind: str) -> str:
    if kind not in BODY_KINDS:
        raise FieldError(
            "kind",
            "body-kind-unknown",
            f"评价机构类别应为 Y（用人单位）或 S（社会培训评价组织），收到 {kind!r}",
            f"body kind must be Y (employer) or S (social training-evaluation organisation), got {kind!r}",
        )
    return kind


def validate_body_code(code: str) -> str:
    """Four digits: 0001-9999 when first filed with the ministry, 0000 when first filed with a province."""
    if not isinstance(code, str) or not _digits(code, 4):
        raise FieldError(
            "body_code",
            "body-code-format",
            f"机构代码应为 4 位数字（在省级部门首次备案的为 0000），收到 {code!r}",
            f"body code must be 4 digits (0000 when first filed with a province), got {code!r}",
        )
    return code


def validate_province(code: str) -> str:
    if not isinstance(code, str) or code not in PROVINCES:
        raise FieldError(
            "province",
            "province-unknown",
            f"省份代码 {code!r} 不是 GB/T 2260 的省级代码",
            f"province code {code!r} is not a GB/T 2260 provincial code",
        )
    return code


def validate_site_code(code: str) -> str:
    if not isinstance(code, str) or not _digits(code, 6):
        raise FieldError(
            "site_code",
            "site-code-format",
            f"机构（站点）序号应为 6 位数字，收到 {code!r}",
            f"site code must be 6 digits, got {code!r}",
        )
    return code


def number_prefix(kind: str, body_code: str, province: str, site_code: str) -> str:
    """The 13 characters every certificate of one body (site) shares."""
    return (
        validate_kind(kind)
        + validate_body_code(body_code)
        + validate_province(province)
        + validate_site_code(site_code)
    )


@dataclass(frozen=True)
class CertificateNumber:
    kind: str
    body_code: str
    province: str
    site_code: str
    year: int
    level: int
    serial: int

    def __post_init__(self) -> None:
        number_prefix(self.kind, self.body_code, self.province, self.site_code)
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 2000 <= self.year <= 2099:
            raise FieldError(
                "year",
                "year-range",
                f"发证年份应在 2000 至 2099 之间（编号只写后两位），收到 {self.year!r}",
                f"year of issue must be 2000-2099 (the number keeps two digits), got {self.year!r}",
            )
        if isinstance(self.level, bool) or not isinstance(self.level, int) or not 1 <= self.level <= 5:
            raise FieldError(
                "level",
                "level-range",
                f"职业技能等级应为 1 至 5，收到 {self.level!r}",
                f"skill level must be 1-5, got {self.level!r}",
            )
        if (
            isinstance(self.serial, bool)
            or not isinstance(self.serial, int)
            or not 1 <= self.serial <= 999999
        ):
            raise FieldError(
                "serial",
                "serial-range",
                f"证书序号应在 1 至 999999 之间，收到 {self.serial!r}",
                f"certificate serial must be 1-999999, got {self.serial!r}",
            )

    @property
    def prefix(self) -> str:
        return self.kind + self.body_code + self.province + self.site_code

    @property
    def text(self) -> str:
        return f"{self.prefix}{self.year % 100:02d}{self.level}{self.serial:06d}"

    def __str__(self) -> str:
        return self.text


def format_number(
    kind: str, body_code: str, province: str, site_code: str, year: int, level: int, serial: int
) -> str:
    return CertificateNumber(kind, body_code, province, site_code, year, level, serial).text


def _position_error(positions: str, zh: str, en: str) -> FieldError:
    return FieldError(
        "number",
        "certificate-number-format",
        f"证书编号第 {positions} 位错误：{zh}",
        f"certificate number position {positions} is wrong: {en}",
    )


def parse_number(text: str) -> CertificateNumber:
    """Read a printed certificate number; the error names the first position that breaks the rule."""
    if not isinstance(text, str):
        raise TypeError("certificate number must be a str")
    text = text.strip().upper()
    if len(text) != NUMBER_LENGTH:
        raise FieldError(
            "number",
            "certificate-number-format",
            f"证书编号应为 22 位（1 位字母加 21 位数字），收到 {len(text)} 位",
            f"certificate number must have 22 characters (a letter and 21 digits), got {len(text)}",
        )
    if text[0] not in BODY_KINDS:
        raise _position_error("1", f"应为 Y 或 S，而非 {text[0]!r}", f"must be Y or S, not {text[0]!r}")
    checks = [
        ("2-5", text[1:5], 4, "机构代码应为 4 位数字", "body code must be 4 digits"),
        ("6-7", text[5:7], 2, "省份代码应为 2 位数字", "province code must be 2 digits"),
        ("8-13", text[7:13], 6, "机构（站点）序号应为 6 位数字", "site code must be 6 digits"),
        ("14-15", text[13:15], 2, "年份应为 2 位数字", "year must be 2 digits"),
        ("16", text[15:16], 1, "等级应为 1 位数字", "level must be 1 digit"),
        ("17-22", text[16:22], 6, "证书序号应为 6 位数字", "certificate serial must be 6 digits"),
    ]
    for positions, part, length, zh, en in checks:
        if not _digits(part, length):
            raise _position_error(positions, f"{zh}，而非 {part!r}", f"{en}, not {part!r}")
    if text[5:7] not in PROVINCES:
        raise _position_error(
            "6-7", f"{text[5:7]} 不是 GB/T 2260 的省级代码", f"{text[5:7]} is not a GB/T 2260 provincial code"
        )
    if text[15] not in "12345":
        raise _position_error("16", f"等级应为 1 至 5，而非 {text[15]}", f"level must be 1-5, not {text[15]}")
    if text[16:22] == "000000":
        raise _position_error("17-22", "证书序号不能为 000000", "certificate serial cannot be 000000")
    return CertificateNumber(
        kind=text[0],
        body_code=text[1:5],
        province=text[5:7],
        site_code=text[7:13],
        year=2000 + int(text[13:15]),
        level=int(text[15]),
        serial=int(text[16:22]),
    )


def is_legacy_number(text: str) -> bool:
    """True for the 16-digit number of a pre-2020 职业资格证书, still answered by lookups."""
    return isinstance(text, str) and _LEGACY.fullmatch(text.strip()) is not None

"""The five certified skill levels (五级/初级工 to 一级/高级技师) and how they are written."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LevelInfo:
    digit: int
    zh: str
    title_zh: str
    en: str
    title_en: str

    @property
    def label_zh(self) -> str:
        return f"{self.zh}/{self.title_zh}"

    @property
    def label_en(self) -> str:
        return f"{self.en} / {self.title_en}"


# Lowest to highest, as the standards list them; the digit is the one printed in the certificate number.
LEVELS: dict[int, LevelInfo] = {
    5: LevelInfo(5, "五级", "初级工", "Level 5", "Junior Worker"),
    4: LevelInfo(4, "四级", "中级工", "Level 4", "Intermediate Worker"),
    3: LevelInfo(3, "三级", "高级工", "Level 3", "Senior Worker"),
    2: LevelInfo(2, "二级", "技师", "Level 2", "Technician"),
    1: LevelInfo(1, "一级", "高级技师", "Level 1", "Senior Technician"),
}


def level_info(digit: int) -> LevelInfo:
    """The level for a digit 1-5; anything else (including True/False) is a ValueError."""
    if isinstance(digit, bool) or not isinstance(digit, int) or digit not in LEVELS:
        raise ValueError(f"unknown level digit {digit!r}: levels are 1 to 5")
    return LEVELS[digit]


def level_label(digit: int, lang: str = "zh") -> str:
    """`三级/高级工` in Chinese (as printed on certificates) or `Level 3 / Senior Worker` in English."""
    info = level_info(digit)
    if lang == "zh":
        return info.label_zh
    if lang == "en":
        return info.label_en
    raise ValueError(f"unknown language {lang!r}: use 'zh' or 'en'")

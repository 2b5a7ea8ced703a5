"""Immutable standard versions, levels and components; their canonical hash; the library's one error."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from standards.levels import LevelInfo, level_info, level_label

# Every component is marked out of 100 (DOMAIN: "Every component is marked out of 100").
MAX_SCORE = 100
DEFAULT_PASS_MARK = 60

# In the order a level lists them; 综合评审 only for 二级/技师 and 一级/高级技师.
COMPONENT_KINDS: dict[str, tuple[str, str]] = {
    "theory": ("理论知识考试", "Theory examination"),
    "skill": ("技能考核", "Practical skills assessment"),
    "review": ("综合评审", "Comprehensive review"),
}
REVIEW_LEVEL_DIGITS = frozenset({2, 1})


class StandardFileError(ValueError):
    """A standard file or stored content breaking a rule: file, dotted field, stable slug, both languages."""

    def __init__(self, file: str, field: str, reason: str, zh: str, en: str) -> None:
        super().__init__(file, field, reason, zh, en)
        self.file = file
        self.field = field
        self.reason = reason
        self.message_zh = zh
        self.message_en = en

    def describe(self, lang: str = "zh") -> str:
        """One line in one language, e.g. for a command's output: `<file>: <field>: <message>`."""
        return f"{self.file}: {self.field}: {self.message_zh if lang == 'zh' else self.message_en}"

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message_en} / {self.message_zh}"


@dataclass(frozen=True)
class Component:
    kind: str
    name_zh: str
    name_en: str
    pass_mark: int = DEFAULT_PASS_MARK
    max_score: int = MAX_SCORE

    @classmethod
    def of(cls, kind: str, pass_mark: int = DEFAULT_PASS_MARK) -> Component:
        """A component named as COMPONENT_KINDS names it (KeyError for an unknown kind)."""
        name_zh, name_en = COMPONENT_KINDS[kind]
        return cls(kind, name_zh, name_en, pass_mark)

    def to_content(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "pass_mark": self.pass_mark,
            "max_score": self.max_score,
        }


@dataclass(frozen=True)
class Level:
    digit: int
    eligibility: tuple[str, ...]
    components: tuple[Component, ...]
    # The 工种 assessed at this level: a standard may stop some 工种 below its top levels
    # (家政服务员: 二级 has none; 焊工: 气焊工 stops at 三级). Empty when the standard has none here.
    work_types: tuple[str, ...] = ()

    @property
    def info(self) -> LevelInfo:
        return level_info(self.digit)

    @property
    def label(self) -> str:
        return level_label(self.digit)

    @property
    def component_kinds(self) -> tuple[str, ...]:
        return tuple(c.kind for c in self.components)

    def component(self, kind: str) -> Component:
        for c in self.components:
            if c.kind == kind:
                return c
        raise KeyError(f"{self.label} has no component {kind!r} (it has {', '.join(self.component_kinds)})")

    def to_content(self) -> dict[str, Any]:
        return {
            "digit": self.digit,
            "eligibility": list(self.eligibility),
            "components": [c.to_content() for c in self.components],
            "work_types": list(self.work_types),
        }


@dataclass(frozen=True)
class StandardVersion:
    code: str
    name: str
    name_en: str
    version: int
    title: str
    effective_from: date
    work_types: tuple[str, ...]
    levels: tuple[Level, ...]
    source: str
    content_hash: str
    notes: str = ""

    @property
    def ref(self) -> str:
        """`6-31-01-03@2018`: the code and version year, as in the data file's name."""
        return f"{self.code}@{self.version}"

    @property
    def level_digits(self) -> tuple[int, ...]:
        return tuple(level.digit for level in self.levels)

    def level(self, digit: int) -> Level:
        for level in self.levels:
            if level.digit == digit:
                return level
        covered = "、".join(level.label for level in self.levels)
        raise KeyError(f"{self.ref} does not cover level {digit!r} (it covers {covered})")

    def to_content(self) -> dict[str, Any]:
        """Everything but source and hash, as plain JSON values: what is stored and hashed."""
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "version": self.version,
            "title": self.title,
            "effective_from": self.effective_from.isoformat(),
            "work_types": list(self.work_types),
            "notes": self.notes,
            "levels": [level.to_content() for level in self.levels],
        }


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The one byte form of a content dict: sorted keys, no spaces, UTF-8 (Chinese kept as is)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def hash_content(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def version_from_content(
    content: Mapping[str, Any], *, source: str, content_hash: str | None = None
) -> StandardVersion:
    """Rebuild a version from its stored `to_content()` dict, refusing it if it no longer matches its hash."""
    try:
        levels = tuple(
            Level(
                int(level["digit"]),
                tuple(level["eligibility"]),
                tuple(
                    Component(c["kind"], c["name_zh"], c["name_en"], int(c["pass_mark"]), int(c["max_score"]))
                    for c in level["components"]
                ),
                tuple(level["work_types"]),
            )
            for level in content["levels"]
        )
        unhashed = StandardVersion(
            code=content["code"],
            name=content["name"],
            name_en=content["name_en"],
            version=int(content["version"]),
            title=content["title"],
            effective_from=date.fromisoformat(content["effective_from"]),
            work_types=tuple(content["work_types"]),
            levels=levels,
            source=source,
            content_hash="",
            notes=content["notes"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StandardFileError(
            source,
            "(content)",
            "standard-content-invalid",
            f"存储的标准内容结构不完整：{exc!r}",
            f"stored standard content is malformed: {exc!r}",
        ) from exc
    actual = hash_content(unhashed.to_content())
    if content_hash is not None and actual != content_hash:
        raise StandardFileError(
            source,
            "content_hash",
            "standard-content-hash-mismatch",
            f"存储内容的哈希 {actual[:12]} 与记录的 {content_hash[:12]} 不一致，内容已被改动。",
            f"the stored content hashes to {actual[:12]}, not the recorded {content_hash[:12]}.",
        )
    return replace(unhashed, content_hash=actual)

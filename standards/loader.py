"""Read standard-version files and the catalogue, refusing anything doubtful with the file and field named."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from standards.levels import LEVELS, level_label
from standards.model import (
    COMPONENT_KINDS,
    DEFAULT_PASS_MARK,
    MAX_SCORE,
    REVIEW_LEVEL_DIGITS,
    Component,
    Level,
    StandardFileError,
    StandardVersion,
    hash_content,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

CODE_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
FILE_NAME_RE = re.compile(r"^(?P<code>\d-\d{2}-\d{2}-\d{2})@(?P<version>\d{4})\.toml$")
FIRST_VERSION, LAST_VERSION = 1990, 2100

_TOP_REQUIRED = ("code", "name", "name_en", "version", "title", "effective_from", "levels")
_TOP_OPTIONAL = ("work_types", "notes")
_LEVEL_KEYS = ("digit", "eligibility", "components")
_LEVEL_OPTIONAL = ("work_types",)

# rule: (reason slug, Chinese, English). One place to review the wording of every refusal.
# fmt: off
_RULES: dict[str, tuple[str, str, str]] = {
    "file-name": ("standard-file-name-invalid",
                  "文件名应为“职业编码@版本年份.toml”，如 6-31-01-03@2018.toml。",
                  "the file name must be <code>@<version year>.toml, like 6-31-01-03@2018.toml."),
    "unreadable": ("standard-file-unreadable", "无法作为 UTF-8 TOML 读取：{error}",
                   "cannot be read as UTF-8 TOML: {error}"),
    "no-directory": ("standard-file-unreadable", "标准目录不存在。",
                     "the standards directory does not exist."),
    "duplicate-version": ("standard-duplicate-version", "{ref} 已由 {earlier} 定义，同一版本只能有一个文件。",
                          "{ref} is already defined by {earlier}; one file per version."),
    "unknown-key": ("standard-field-unknown", "未知的键，此处只允许 {allowed_zh}。{hint_zh}",
                    "unknown key; only {allowed_en} are allowed here.{hint_en}"),
    "missing": ("standard-field-missing", "缺少必填项。", "is required but missing."),
    "table": ("standard-field-invalid", "应为表（table），实际为 {got}。", "must be a table, got {got}."),
    "text": ("standard-field-invalid", "应为非空文本，实际为 {got}。", "must be non-empty text, got {got}."),
    "integer": ("standard-field-invalid", "应为 {low} 到 {high} 之间的整数，实际为 {got}。",
                "must be an integer from {low} to {high}, got {got}."),
    "list": ("standard-field-invalid", "应为文本列表，实际为 {got}。", "must be a list of texts, got {got}."),
    "non-empty-list": ("standard-field-invalid", "应为非空的文本列表，实际为 {got}。",
                       "must be a non-empty list of texts, got {got}."),
    "repeated": ("standard-field-invalid", "与前面的条目重复：{got}。", "repeats an earlier entry: {got}."),
    "work-type-unknown": ("standard-field-invalid", "工种 {got} 不在本标准的工种列表 {known} 中。",
                          "work type {got} is not among the standard's work types {known}."),
    "code": ("standard-field-invalid", "职业编码应形如 6-31-01-03，实际为 {got}。",
             "an occupation code looks like 6-31-01-03, got {got}."),
    "name-mismatch": ("standard-file-name-mismatch", "{got} 与文件名中的 {expected} 不一致。",
                      "{got} differs from {expected} in the file name."),
    "title": ("standard-field-invalid", "标题应包含职业名称“{name}”和“{version}年版”。",
              "the title must contain the occupation name “{name}” and “{version}年版”."),
    "date": ("standard-field-invalid",
             "应为不早于 {version} 年的日期（如 {version}-12-01，不加引号），实际为 {got}。",
             "must be a date in {version} or later (like {version}-12-01, unquoted), got {got}."),
    "level-digit": ("standard-level-unknown", "等级代码只能是 1 到 5（一级到五级），实际为 {got}。",
                    "a level digit is 1 to 5 (Level 1 to Level 5), got {got}."),
    "no-levels": ("standard-levels-wrong", "至少要列出一个等级（[[levels]]）。",
                  "must list at least one level ([[levels]])."),
    "level-twice": ("standard-levels-wrong", "{label_zh} 重复列出。", "{label_en} is listed twice."),
    "level-gap": ("standard-levels-wrong", "等级必须连续，不能跳级，实际为 {got}。",
                  "levels must be contiguous with no gap, got {got}."),
    "components": ("standard-field-invalid", "应为考核项目列表，实际为 {got}。",
                   "must be a list of components, got {got}."),
    "kind": ("standard-components-wrong", "未知的考核项目 {got}，只能是 {kinds}。",
             "unknown component kind {got}; use one of {kinds}."),
    "kind-twice": ("standard-components-wrong", "考核项目 {got} 重复。", "component {got} is listed twice."),
    "kind-missing": ("standard-components-wrong", "{label_zh} 必须包含{name_zh}（{kind}）。",
                     "{label_en} must include the {name_en} ({kind})."),
    "review-not-allowed": ("standard-components-wrong",
                           "综合评审（review）只用于二级和一级，不用于{label_zh}。",
                           "the comprehensive review (review) is only for Levels 2 and 1, not {label_en}."),
}# fmt: on


def _error(file: str, field: str, rule: str, **values: Any) -> StandardFileError:
    reason, zh, en = _RULES[rule]
    return StandardFileError(file, field, reason, zh.format(**values), en.format(**values))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    """Checks one file's values; every refusal names this file and the field's dotted path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, field: str, rule: str, **values: Any) -> NoReturn:
        raise _error(self.file, field, rule, **values)

    def table(
        self, value: Any, field: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(field, "table", got=_show(value))
        allowed = required + optional
        prefix = f"{field}." if field else ""
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                self.fail(
                    f"{prefix}{key}",
                    "unknown-key",
                    allowed_zh="、".join(allowed),
                    allowed_en=", ".join(allowed),
                    hint_zh=f"是否应为 {close[0]}？" if close else "",
                    hint_en=f" Did you mean {close[0]}?" if close else "",
                )
        for key in required:
            if key not in value:
                self.fail(f"{prefix}{key}", "missing")
        return value

    def text(self, value: Any, field: str, *, blank_ok: bool = False) -> str:
        if not isinstance(value, str) or (not blank_ok and not value.strip()):
            self.fail(field, "text", got=_show(value))
        return value.strip()

    def integer(self, value: Any, field: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(field, "integer", low=low, high=high, got=_show(value))
        return value

    def texts(self, value: Any, field: str, *, empty_ok: bool) -> tuple[str, ...]:
        if not isinstance(value, list) or (not empty_ok and not value):
            self.fail(field, "list" if empty_ok else "non-empty-list", got=_show(value))
        items = tuple(self.text(item, f"{field}[{i}]") for i, item in enumerate(value))
        for i, item in enumerate(items):
            if item in items[:i]:
                self.fail(f"{field}[{i}]", "repeated", got=_show(item))
        return items

    def level(self, value: Any, field: str, work_types: tuple[str, ...]) -> Level:
        data = self.table(value, field, _LEVEL_KEYS, _LEVEL_OPTIONAL)
        digit = data["digit"]
        if isinstance(digit, bool) or not isinstance(digit, int) or digit not in LEVELS:
            self.fail(f"{field}.digit", "level-digit", got=_show(digit))
        eligibility = self.texts(data["eligibility"], f"{field}.eligibility", empty_ok=False)
        components = self.components(data["components"], f"{field}.components", digit)
        if "work_types" not in data:  # by default every 工种 of the standard is assessed at every level
            return Level(digit, eligibility, components, work_types)
        here = self.texts(data["work_types"], f"{field}.work_types", empty_ok=True)
        for i, work_type in enumerate(here):
            if work_type not in work_types:
                self.fail(f"{field}.work_types[{i}]", "work-type-unknown", got=_show(work_type),
                          known=_show(list(work_types)))
        return Level(digit, eligibility, components, here)

    def components(self, value: Any, field: str, digit: int) -> tuple[Component, ...]:
        if not isinstance(value, list):
            self.fail(field, "components", got=_show(value))
        labels = {"label_zh": level_label(digit), "label_en": level_label(digit, "en")}
        found: dict[str, Component] = {}
        for i, item in enumerate(value):
            data = self.table(item, f"{field}[{i}]", ("kind",), ("pass_mark",))
            kind = data["kind"]
            if not isinstance(kind, str) or kind not in COMPONENT_KINDS:
                self.fail(f"{field}[{i}].kind", "kind", got=_show(kind), kinds=", ".join(COMPONENT_KINDS))
            if kind in found:
                self.fail(f"{field}[{i}].kind", "kind-twice", got=kind)
            pass_mark = data.get("pass_mark", DEFAULT_PASS_MARK)
            found[kind] = Component.of(kind, self.integer(pass_mark, f"{field}[{i}].pass_mark", 0, MAX_SCORE))
        expected = ["theory", "skill"] + (["review"] if digit in REVIEW_LEVEL_DIGITS else [])
        for kind in expected:
            if kind not in found:
                zh, en = COMPONENT_KINDS[kind]
                self.fail(field, "kind-missing", kind=kind, name_zh=zh, name_en=en.lower(), **labels)
        if "review" in found and "review" not in expected:
            self.fail(field, "review-not-allowed", **labels)
        return tuple(found[kind] for kind in COMPONENT_KINDS if kind in found)

    def levels(self, value: Any, work_types: tuple[str, ...]) -> tuple[Level, ...]:
        if not isinstance(value, list) or not value:
            self.fail("levels", "no-levels")
        levels = [self.level(item, f"levels[{i}]", work_types) for i, item in enumerate(value)]
        seen: set[int] = set()
        for i, level in enumerate(levels):
            if level.digit in seen:
                self.fail(
                    f"levels[{i}].digit",
                    "level-twice",
                    label_zh=level.label,
                    label_en=level_label(level.digit, "en"),
                )
            seen.add(level.digit)
        if max(seen) - min(seen) + 1 != len(seen):
            self.fail("levels", "level-gap", got=sorted(seen, reverse=True))
        return tuple(sorted(levels, key=lambda level: -level.digit))

    def version(self, data: dict[str, Any], name_code: str, name_version: int) -> StandardVersion:
        data = self.table(data, "", _TOP_REQUIRED, _TOP_OPTIONAL)
        code = self.text(data["code"], "code")
        if not CODE_RE.match(code):
            self.fail("code", "code", got=_show(code))
        if code != name_code:
            self.fail("code", "name-mismatch", got=code, expected=name_code)
        version = self.integer(data["version"], "version", FIRST_VERSION, LAST_VERSION)
        if version != name_version:
            self.fail("version", "name-mismatch", got=version, expected=name_version)
        name = self.text(data["name"], "name")
        title = self.text(data["title"], "title")
        if name not in title or f"{version}年版" not in title:
            self.fail("title", "title", name=name, version=version)
        effective_from = data["effective_from"]
        # A TOML local date only: a quoted string or a date-time is a typo, not a date.
        if type(effective_from) is not date or effective_from.year < version:
            self.fail("effective_from", "date", version=version, got=_show(effective_from))
        work_types = self.texts(data.get("work_types", []), "work_types", empty_ok=True)
        unhashed = StandardVersion(
            code=code,
            name=name,
            name_en=self.text(data["name_en"], "name_en"),
            version=version,
            title=title,
            effective_from=effective_from,
            work_types=work_types,
            levels=self.levels(data["levels"], work_types),
            source=self.file,
            content_hash="",
            notes=self.text(data.get("notes", ""), "notes", blank_ok=True),
        )
        return replace(unhashed, content_hash=hash_content(unhashed.to_content()))


def load_file(path: str | Path) -> StandardVersion:
    """Parse and validate one `<code>@<version>.toml` file."""
    path = Path(path)
    reader = _Reader(path.name)
    match = FILE_NAME_RE.match(path.name)
    if not match:
        reader.fail("(file name)", "file-name")
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reader.fail("(file)", "unreadable", error=exc)
    return reader.version(data, match["code"], int(match["version"]))


def load_catalogue(directory: str | Path = DATA_DIR) -> list[StandardVersion]:
    """Every standard file under `directory` (subfolders too, hidden ones skipped), by code then version."""
    directory = Path(directory)
    if not directory.is_dir():
        raise _error(str(directory), "(directory)", "no-directory")
    found: dict[tuple[str, int], Path] = {}
    versions: list[StandardVersion] = []
    for path in sorted(directory.rglob("*.toml")):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts):
            continue
        version = load_file(path)
        earlier = found.setdefault((version.code, version.version), relative)
        if earlier != relative:
            raise _error(
                relative.as_posix(),
                "version",
                "duplicate-version",
                ref=version.ref,
                earlier=earlier.as_posix(),
            )
        versions.append(version)
    return sorted(versions, key=lambda v: (v.code, v.version))

"""What changed between two versions of one occupation's standard: levels, 工种, components, pass marks, eligibility."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from standards.model import Component, Level, StandardVersion

# The descriptive fields compared one to one, in the order a reader meets them in the file.
_FIELDS = ("name", "name_en", "title", "effective_from", "notes")


@dataclass(frozen=True)
class FieldChange:
    field: str  # name | name_en | title | effective_from | notes
    old: str
    new: str


@dataclass(frozen=True)
class ComponentChange:
    kind: str
    name_zh: str
    name_en: str
    change: str  # added | removed | changed
    old_pass_mark: int | None
    new_pass_mark: int | None
    old_max_score: int | None
    new_max_score: int | None


@dataclass(frozen=True)
class LevelChange:
    """A level both versions cover, and what differs in it (lists keep the newer version's order)."""

    digit: int
    eligibility_added: tuple[str, ...]
    eligibility_removed: tuple[str, ...]
    work_types_added: tuple[str, ...]
    work_types_removed: tuple[str, ...]
    components: tuple[ComponentChange, ...]


@dataclass(frozen=True)
class StandardDiff:
    code: str
    old_version: int
    new_version: int
    fields: tuple[FieldChange, ...]
    work_types_added: tuple[str, ...]
    work_types_removed: tuple[str, ...]
    levels_added: tuple[int, ...]  # digits, in the newer version's order
    levels_removed: tuple[int, ...]
    levels_changed: tuple[LevelChange, ...]  # only the common levels that differ

    @property
    def unchanged(self) -> bool:
        return not (self.fields or self.work_types_added or self.work_types_removed or self.levels_added
                    or self.levels_removed or self.levels_changed)


def diff_versions(old: StandardVersion, new: StandardVersion) -> StandardDiff:
    """Compare two versions of the same occupation (ValueError for two occupations)."""
    if old.code != new.code:
        raise ValueError(f"cannot compare standards of two occupations: {old.code} and {new.code}")
    fields = tuple(
        FieldChange(name, str(getattr(old, name)), str(getattr(new, name)))
        for name in _FIELDS
        if getattr(old, name) != getattr(new, name)
    )
    old_levels = {level.digit: level for level in old.levels}
    new_levels = {level.digit: level for level in new.levels}
    changed = []
    for level in new.levels:
        before = old_levels.get(level.digit)
        if before is not None:
            change = _level_change(before, level)
            if change is not None:
                changed.append(change)
    return StandardDiff(
        code=new.code,
        old_version=old.version,
        new_version=new.version,
        fields=fields,
        work_types_added=_missing_from(new.work_types, old.work_types),
        work_types_removed=_missing_from(old.work_types, new.work_types),
        levels_added=tuple(d for d in new.level_digits if d not in old_levels),
        levels_removed=tuple(d for d in old.level_digits if d not in new_levels),
        levels_changed=tuple(changed),
    )


def _missing_from(items: Iterable[str], other: Iterable[str]) -> tuple[str, ...]:
    """The items not in `other`, in their own order."""
    seen = set(other)
    return tuple(item for item in items if item not in seen)


def _level_change(old: Level, new: Level) -> LevelChange | None:
    change = LevelChange(
        digit=new.digit,
        eligibility_added=_missing_from(new.eligibility, old.eligibility),
        eligibility_removed=_missing_from(old.eligibility, new.eligibility),
        work_types_added=_missing_from(new.work_types, old.work_types),
        work_types_removed=_missing_from(old.work_types, new.work_types),
        components=_component_changes(old.components, new.components),
    )
    differs = (change.eligibility_added or change.eligibility_removed or change.work_types_added
               or change.work_types_removed or change.components)
    return change if differs else None


def _component_changes(old: tuple[Component, ...], new: tuple[Component, ...]) -> tuple[ComponentChange, ...]:
    before = {c.kind: c for c in old}
    after = {c.kind: c for c in new}
    changes = []
    for component in new:
        was = before.get(component.kind)
        if was is None:
            changes.append(_component(component, "added", None, component))
        elif (was.pass_mark, was.max_score) != (component.pass_mark, component.max_score):
            changes.append(_component(component, "changed", was, component))
    changes.extend(_component(c, "removed", c, None) for c in old if c.kind not in after)
    return tuple(changes)


def _component(named: Component, change: str, old: Component | None, new: Component | None) -> ComponentChange:
    return ComponentChange(
        kind=named.kind, name_zh=named.name_zh, name_en=named.name_en, change=change,
        old_pass_mark=old.pass_mark if old else None, new_pass_mark=new.pass_mark if new else None,
        old_max_score=old.max_score if old else None, new_max_score=new.max_score if new else None,
    )

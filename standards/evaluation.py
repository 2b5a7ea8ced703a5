"""Pass or fail a candidate at one level from component scores: every component must reach its pass mark."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from standards.model import Component, Level


@dataclass(frozen=True)
class ComponentResult:
    component: Component
    score: int | None

    @property
    def kind(self) -> str:
        return self.component.kind

    @property
    def passed(self) -> bool:
        return self.score is not None and self.score >= self.component.pass_mark

    @property
    def reason_zh(self) -> str:
        c = self.component
        if self.score is None:
            return f"{c.name_zh}缺少成绩"
        relation = "达到" if self.passed else "低于"
        return f"{c.name_zh} {self.score} 分，{relation}合格线 {c.pass_mark} 分"

    @property
    def reason_en(self) -> str:
        c = self.component
        if self.score is None:
            return f"{c.name_en} has no score"
        relation = "reaches" if self.passed else "is below"
        return f"{c.name_en} {self.score} {relation} the pass mark {c.pass_mark}"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    failed: tuple[str, ...]
    missing: tuple[str, ...]
    results: tuple[ComponentResult, ...] = ()

    @property
    def scores(self) -> dict[str, int | None]:
        return {r.kind: r.score for r in self.results}

    @property
    def reason_zh(self) -> str:
        if self.passed:
            return "各考核项目均达到合格线"
        return "；".join(r.reason_zh for r in self.results if not r.passed)

    @property
    def reason_en(self) -> str:
        if self.passed:
            return "Every component reaches its pass mark"
        return "; ".join(r.reason_en for r in self.results if not r.passed)


def evaluate(level: Level, scores: Mapping[str, int | None]) -> Outcome:
    """Passed only if every component of `level` has a score at or above its pass mark.

    A score for a kind the level does not have, or outside 0..max_score, is a ValueError: the caller
    validates input first, so reaching this is a bug, not a candidate's failure.
    """
    unknown = sorted(set(scores) - set(level.component_kinds))
    if unknown:
        has = ", ".join(level.component_kinds)
        raise ValueError(f"{level.label} has no component {', '.join(unknown)} (it has {has})")
    results = []
    for component in level.components:
        score = scores.get(component.kind)
        if score is not None and (
            isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= component.max_score
        ):
            limit = component.max_score
            raise ValueError(f"{component.kind} score must be an integer from 0 to {limit}, got {score!r}")
        results.append(ComponentResult(component, score))
    return Outcome(
        passed=all(r.passed for r in results),
        failed=tuple(r.kind for r in results if r.score is not None and not r.passed),
        missing=tuple(r.kind for r in results if r.score is None),
        results=tuple(results),
    )

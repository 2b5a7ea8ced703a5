"""Comparing two versions of a standard: what a regulator needs to see before a new version takes effect."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from standards import DATA_DIR, load_file, version_from_content
from standards.diff import ComponentChange, FieldChange, diff_versions

OLD = load_file(DATA_DIR / "4-10-01-06@2019.toml")


def revised(**changes):
    """The 2019 家政服务员 standard as a hypothetical 2025 version, its content edited by `changes(content)`."""
    content = copy.deepcopy(OLD.to_content())
    content["version"] = 2025
    content["title"] = "国家职业标准 家政服务员（2025年版）"
    content["effective_from"] = "2025-09-01"
    for edit in changes.values():
        edit(content)
    return version_from_content(content, source="test")


def level(content, digit):
    return next(lv for lv in content["levels"] if lv["digit"] == digit)


def test_the_same_version_has_no_changes():
    diff = diff_versions(OLD, OLD)
    assert diff.unchanged
    assert (diff.old_version, diff.new_version) == (2019, 2019)


def test_title_and_date_changes_are_listed_field_by_field():
    diff = diff_versions(OLD, revised())
    assert diff.fields == (
        FieldChange("title", OLD.title, "国家职业标准 家政服务员（2025年版）"),
        FieldChange("effective_from", "2019-01-01", "2025-09-01"),
    )
    assert not diff.levels_changed and not diff.levels_added and not diff.levels_removed
    assert not diff.unchanged


def test_an_added_top_level_and_a_new_work_type():
    def add_level_1(content):
        top = copy.deepcopy(level(content, 2))
        top["digit"] = 1
        content["levels"].append(top)

    def add_work_type(content):
        content["work_types"].append("养老护理员")
        level(content, 5)["work_types"].append("养老护理员")

    diff = diff_versions(OLD, revised(a=add_level_1, b=add_work_type))
    assert diff.levels_added == (1,) and diff.levels_removed == ()
    assert diff.work_types_added == ("养老护理员",) and diff.work_types_removed == ()
    [five] = diff.levels_changed
    assert five.digit == 5 and five.work_types_added == ("养老护理员",) and five.components == ()


def test_a_removed_level_and_work_type_read_the_other_way_round():
    def drop(content):
        content["levels"] = [lv for lv in content["levels"] if lv["digit"] != 2]
        content["work_types"].remove("母婴护理员")
        for lv in content["levels"]:
            lv["work_types"] = [w for w in lv["work_types"] if w != "母婴护理员"]

    diff = diff_versions(OLD, revised(a=drop))
    assert diff.levels_removed == (2,)
    assert diff.work_types_removed == ("母婴护理员",)
    assert {c.digit for c in diff.levels_changed} == {5, 4, 3}
    assert all(c.work_types_removed == ("母婴护理员",) for c in diff.levels_changed)


def test_pass_marks_and_components_and_eligibility():
    def stricter_skill(content):
        level(content, 4)["components"][1]["pass_mark"] = 70

    def no_review(content):
        level(content, 2)["components"] = level(content, 2)["components"][:2]

    def rewrite_route(content):
        routes = level(content, 5)["eligibility"]
        routes[1] = "本职业或相关职业学徒期满，并经企业考核合格。"

    diff = diff_versions(OLD, revised(a=stricter_skill, b=no_review, c=rewrite_route))
    by_digit = {c.digit: c for c in diff.levels_changed}
    assert set(by_digit) == {5, 4, 2}
    assert by_digit[4].components == (
        ComponentChange("skill", "技能考核", "Practical skills assessment", "changed", 60, 70, 100, 100),
    )
    [removed] = by_digit[2].components
    assert (removed.kind, removed.change, removed.old_pass_mark, removed.new_pass_mark) == (
        "review", "removed", 60, None)
    assert by_digit[5].eligibility_removed == ("本职业或相关职业学徒期满。",)
    assert by_digit[5].eligibility_added == ("本职业或相关职业学徒期满，并经企业考核合格。",)
    assert by_digit[5].components == () and by_digit[4].eligibility_added == ()


def test_an_added_component_names_its_new_pass_mark():
    def review_at_3(content):
        level(content, 3)["components"].append(
            {"kind": "review", "name_zh": "综合评审", "name_en": "Comprehensive review", "pass_mark": 65,
             "max_score": 100})

    [three] = diff_versions(OLD, revised(a=review_at_3)).levels_changed
    assert [(c.kind, c.change, c.old_pass_mark, c.new_pass_mark) for c in three.components] == [
        ("review", "added", None, 65)]


def test_two_occupations_cannot_be_compared():
    other = load_file(DATA_DIR / "6-31-01-03@2018.toml")
    with pytest.raises(ValueError, match="two occupations"):
        diff_versions(OLD, other)
    assert OLD.effective_from == date(2019, 1, 1)  # the fixture the tests above rely on

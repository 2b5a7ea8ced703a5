"""The standards library: levels, the shipped standard files, validation, content hash, pass/fail."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from standards import (
    COMPONENT_KINDS,
    DATA_DIR,
    LEVELS,
    Component,
    Level,
    StandardFileError,
    StandardVersion,
    evaluate,
    level_label,
    load_catalogue,
    load_file,
    version_from_content,
)

NAME = "6-31-01-03@2018.toml"

# Small but complete: levels 3 and 2, a default pass mark (level 3 skill) and distinct marks at level 2.
VALID = """\
# 测试用标准文件
code = "6-31-01-03"
name = "电工"
name_en = "Electrician"
version = 2018
title = "国家职业技能标准 电工（2018年版）"
effective_from = 2018-12-26
work_types = ["维修电工"]
notes = "测试用"

[[levels]]
digit = 3
eligibility = ["三级途径一。", "三级途径二。"]
components = [
  { kind = "theory", pass_mark = 60 },
  { kind = "skill" },
]

[[levels]]
digit = 2
eligibility = ["二级途径。"]
components = [
  { kind = "theory", pass_mark = 61 },
  { kind = "skill", pass_mark = 62 },
  { kind = "review", pass_mark = 63 },
]
"""


def write(directory: Path, text: str = VALID, name: str = NAME) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def sub(*pairs: tuple[str, str]) -> Callable[[str], str]:
    """A mutation of VALID replacing each `old` (which must occur exactly once) with `new`."""

    def mutate(text: str) -> str:
        for old, new in pairs:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        return text

    return mutate


def without_levels(text: str) -> str:
    return text[: text.index("[[levels]]")]


# --- levels ---------------------------------------------------------------------------------------


def test_five_levels_lowest_first_with_certificate_wording() -> None:
    assert list(LEVELS) == [5, 4, 3, 2, 1]
    assert [level_label(d) for d in LEVELS] == [
        "五级/初级工",
        "四级/中级工",
        "三级/高级工",
        "二级/技师",
        "一级/高级技师",
    ]
    assert level_label(3, lang="en") == "Level 3 / Senior Worker"
    assert level_label(1, "en") == "Level 1 / Senior Technician"
    assert LEVELS[2].title_zh == "技师" and LEVELS[4].title_en == "Intermediate Worker"


@pytest.mark.parametrize("digit", [0, 6, -1, True, "3"])
def test_unknown_level_digit_is_refused(digit: object) -> None:
    with pytest.raises(ValueError, match="level"):
        level_label(digit)  # type: ignore[arg-type]


def test_unknown_label_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        level_label(3, "fr")


# --- the shipped standards --------------------------------------------------------------------------

SHIPPED = {
    "6-31-01-03": ("电工", 2018, (5, 4, 3, 2, 1), ()),
    "6-18-02-04": ("焊工", 2018, (5, 4, 3, 2, 1), ("电焊工", "气焊工", "钎焊工", "焊接设备操作工")),
    "4-10-01-06": ("家政服务员", 2019, (5, 4, 3, 2), ("母婴护理员", "家务服务员", "家庭照护员")),
    "4-02-07-10": ("网约配送员", 2021, (5, 4, 3, 2, 1), ()),
    "4-03-02-01": ("中式烹调师", 2018, (5, 4, 3, 2, 1), ()),
}


def test_catalogue_ships_the_five_occupations_sorted() -> None:
    catalogue = load_catalogue()
    assert [(v.code, v.version) for v in catalogue] == sorted((c, s[1]) for c, s in SHIPPED.items())
    for version in catalogue:
        name, year, digits, work_types = SHIPPED[version.code]
        assert (version.name, version.version, version.level_digits, version.work_types) == (
            name,
            year,
            digits,
            work_types,
        )
        assert version.title == f"国家职业技能标准 {name}（{year}年版）"
        assert version.effective_from.year >= year
        assert version.name_en and version.notes


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_file_loads_on_its_own(path: Path) -> None:
    version = load_file(path)
    assert version.source == path.name == f"{version.ref}.toml"
    assert len(version.content_hash) == 64 and int(version.content_hash, 16) >= 0


def test_shipped_levels_have_review_exactly_at_levels_2_and_1() -> None:
    for version in load_catalogue():
        for level in version.levels:
            expected = ("theory", "skill", "review") if level.digit in (2, 1) else ("theory", "skill")
            assert level.component_kinds == expected, (version.ref, level.digit)
            assert all(c.pass_mark == 60 and c.max_score == 100 for c in level.components)


def test_shipped_eligibility_builds_on_the_level_below() -> None:
    # Every route list of a level above 五级 must mention the level below it (e.g. 四级 needs 五级/初级工):
    # catches eligibility pasted under the wrong level.
    for version in load_catalogue():
        for level in version.levels:
            assert level.eligibility, (version.ref, level.digit)
            if level.digit < 5:
                below = level_label(level.digit + 1)
                assert any(below in route for route in level.eligibility), (version.ref, level.digit)
            else:
                assert any("学徒期满" in route for route in level.eligibility), version.ref


def test_domestic_service_standard_stops_at_technician() -> None:
    version = next(v for v in load_catalogue() if v.code == "4-10-01-06")
    assert version.level(2).component("review").name_zh == "综合评审"
    with pytest.raises(KeyError, match="4-10-01-06@2019"):
        version.level(1)


# --- parsing and the content hash ---------------------------------------------------------------------


def test_valid_file_becomes_a_standard_version(tmp_path: Path) -> None:
    version = load_file(write(tmp_path))
    assert isinstance(version, StandardVersion)
    assert version.effective_from == date(2018, 12, 26)
    assert version.level_digits == (3, 2)
    assert version.level(3).component("skill") == Component("skill", "技能考核", "Practical skills assessment", 60)
    assert version.level(2).component("review").pass_mark == 63
    with pytest.raises(KeyError):
        version.level(3).component("review")


def test_levels_are_ordered_five_to_one_whatever_the_file_order(tmp_path: Path) -> None:
    first, second = VALID.split("[[levels]]")[1:]
    reordered = without_levels(VALID) + "[[levels]]" + second.rstrip() + "\n\n[[levels]]" + first
    assert load_file(write(tmp_path, reordered)).level_digits == (3, 2)


def test_content_is_plain_json_without_source_or_hash(tmp_path: Path) -> None:
    version = load_file(write(tmp_path))
    content = version.to_content()
    assert json.loads(json.dumps(content)) == content
    assert "source" not in content and "content_hash" not in content
    assert content["effective_from"] == "2018-12-26"
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert version.content_hash == hashlib.sha256(canonical).hexdigest()


def test_hash_ignores_layout_and_comments(tmp_path: Path) -> None:
    original = load_file(write(tmp_path / "a")).content_hash
    relaid = "# 注释\n\n" + VALID.replace(" = ", "   =   ").replace("\n[[levels]]", "\n\n# 等级\n[[levels]]")
    moved = ('notes = "测试用"\n', 'notes = "测试用"\nname_en = "Electrician"\n')
    reordered_keys = sub(('name_en = "Electrician"\n', ""), moved)
    assert load_file(write(tmp_path / "b", relaid)).content_hash == original
    assert load_file(write(tmp_path / "c", reordered_keys(VALID))).content_hash == original


@pytest.mark.parametrize(
    "edit",
    [
        sub(("pass_mark = 62", "pass_mark = 65")),
        sub(("三级途径二。", "三级途径二（修订）。")),
        sub(('notes = "测试用"', 'notes = "已修订"')),
        sub(("2018-12-26", "2019-01-01")),
        sub(('["维修电工"]', "[]")),
    ],
    ids=["pass-mark", "eligibility", "notes", "effective-from", "work-types"],
)
def test_hash_changes_with_any_data_edit(tmp_path: Path, edit: Callable[[str], str]) -> None:
    original = load_file(write(tmp_path / "a")).content_hash
    assert load_file(write(tmp_path / "b", edit(VALID))).content_hash != original


def test_stored_content_rebuilds_the_same_version_and_tampering_is_caught(tmp_path: Path) -> None:
    version = load_file(write(tmp_path))
    content = version.to_content()
    assert version_from_content(content, source=NAME, content_hash=version.content_hash) == version
    content["levels"][0]["components"][0]["pass_mark"] = 50
    with pytest.raises(StandardFileError) as caught:
        version_from_content(content, source=NAME, content_hash=version.content_hash)
    assert caught.value.reason == "standard-content-hash-mismatch"
    with pytest.raises(StandardFileError, match="malformed"):
        version_from_content({"code": "6-31-01-03"}, source=NAME)


# --- validation: each rule refused, naming the file and the field --------------------------------------

KIND = "levels[0].components[1].kind"
PASS_MARK = "levels[1].components[1].pass_mark"

REFUSALS: list[tuple[str, Callable[[str], str], str, str]] = [
    ("code-missing", sub(('code = "6-31-01-03"\n', "")), "code", "standard-field-missing"),
    ("name-en-missing", sub(('name_en = "Electrician"\n', "")), "name_en", "standard-field-missing"),
    ("code-format", sub(('"6-31-01-03"', '"6-31-1-03"')), "code", "standard-field-invalid"),
    ("code-not-file-name", sub(('"6-31-01-03"', '"6-31-01-04"')), "code", "standard-file-name-mismatch"),
    ("version-not-file-name", sub(("version = 2018", "version = 2019")), "version", "standard-file-name-mismatch"),
    ("version-too-early", sub(("version = 2018", "version = 1989")), "version", "standard-field-invalid"),
    ("version-text", sub(("version = 2018", 'version = "2018"')), "version", "standard-field-invalid"),
    ("name-blank", sub(('name = "电工"', 'name = "  "')), "name", "standard-field-invalid"),
    ("title-wrong-year", sub(("（2018年版）", "（2017年版）")), "title", "standard-field-invalid"),
    ("date-quoted", sub(("= 2018-12-26", '= "2018-12-26"')), "effective_from", "standard-field-invalid"),
    ("date-time", sub(("= 2018-12-26", "= 2018-12-26T08:00:00")), "effective_from", "standard-field-invalid"),
    ("date-before-version", sub(("= 2018-12-26", "= 2017-12-26")), "effective_from", "standard-field-invalid"),
    ("top-key-typo", sub(("notes =", "note =")), "note", "standard-field-unknown"),
    ("notes-not-text", sub(('notes = "测试用"', "notes = 1")), "notes", "standard-field-invalid"),
    ("work-type-twice", sub(('["维修电工"]', '["维修电工", "维修电工"]')), "work_types[1]", "standard-field-invalid"),
    ("work-type-blank", sub(('["维修电工"]', '[""]')), "work_types[0]", "standard-field-invalid"),
    ("levels-missing", without_levels, "levels", "standard-field-missing"),
    ("levels-empty", lambda t: without_levels(t) + "levels = []\n", "levels", "standard-levels-wrong"),
    ("level-digit-6", sub(("digit = 3", "digit = 6")), "levels[0].digit", "standard-level-unknown"),
    ("level-digit-0", sub(("digit = 3", "digit = 0")), "levels[0].digit", "standard-level-unknown"),
    ("level-digit-text", sub(("digit = 3", 'digit = "3"')), "levels[0].digit", "standard-level-unknown"),
    (
        "level-twice",
        sub(("digit = 2", "digit = 3"), ('  { kind = "review", pass_mark = 63 },\n', "")),
        "levels[1].digit",
        "standard-levels-wrong",
    ),
    ("level-gap", sub(("digit = 2", "digit = 1")), "levels", "standard-levels-wrong"),
    ("level-key-typo", sub(("digit = 3\n", "digit = 3\nweight = 1\n")), "levels[0].weight", "standard-field-unknown"),
    ("eligibility-empty", sub(('["二级途径。"]', "[]")), "levels[1].eligibility", "standard-field-invalid"),
    ("eligibility-text", sub(('["二级途径。"]', '"二级途径。"')), "levels[1].eligibility", "standard-field-invalid"),
    ("eligibility-blank", sub(('"三级途径二。"', '""')), "levels[0].eligibility[1]", "standard-field-invalid"),
    ("skill-missing", sub(('  { kind = "skill" },\n', "")), "levels[0].components", "standard-components-wrong"),
    (
        "review-below-level-2",
        sub(('{ kind = "skill" },', '{ kind = "skill" },\n  { kind = "review" },')),
        "levels[0].components",
        "standard-components-wrong",
    ),
    (
        "review-missing-at-level-2",
        sub(('  { kind = "review", pass_mark = 63 },\n', "")),
        "levels[1].components",
        "standard-components-wrong",
    ),
    ("kind-unknown", sub(('{ kind = "skill" }', '{ kind = "practice" }')), KIND, "standard-components-wrong"),
    ("kind-list", sub(('{ kind = "skill" }', '{ kind = ["skill"] }')), KIND, "standard-components-wrong"),
    ("kind-twice", sub(('{ kind = "skill" }', '{ kind = "theory" }')), KIND, "standard-components-wrong"),
    ("pass-mark-101", sub(("pass_mark = 62", "pass_mark = 101")), PASS_MARK, "standard-field-invalid"),
    ("pass-mark-negative", sub(("pass_mark = 62", "pass_mark = -1")), PASS_MARK, "standard-field-invalid"),
    ("pass-mark-float", sub(("pass_mark = 62", "pass_mark = 62.0")), PASS_MARK, "standard-field-invalid"),
    ("pass-mark-text", sub(("pass_mark = 62", 'pass_mark = "62"')), PASS_MARK, "standard-field-invalid"),
    ("pass-mark-bool", sub(("pass_mark = 62", "pass_mark = true")), PASS_MARK, "standard-field-invalid"),
    (
        "component-key-typo",
        sub(("pass_mark = 63", "passmark = 63")),
        "levels[1].components[2].passmark",
        "standard-field-unknown",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "reason"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_each_rule_is_refused_naming_file_and_field(
    tmp_path: Path, mutate: Callable[[str], str], field: str, reason: str
) -> None:
    with pytest.raises(StandardFileError) as caught:
        load_file(write(tmp_path, mutate(VALID)))
    error = caught.value
    assert (error.file, error.field, error.reason) == (NAME, field, reason)
    assert isinstance(error, ValueError)
    assert str(error) == f"{NAME}: {field}: {error.message_en} / {error.message_zh}"
    assert error.message_en and error.message_zh and error.message_zh != error.message_en
    assert error.describe("zh") == f"{NAME}: {field}: {error.message_zh}"


def test_typo_gets_a_suggestion_in_both_languages(tmp_path: Path) -> None:
    with pytest.raises(StandardFileError) as caught:
        load_file(write(tmp_path, sub(("pass_mark = 63", "passmark = 63"))(VALID)))
    assert "Did you mean pass_mark?" in caught.value.message_en
    assert "是否应为 pass_mark？" in caught.value.message_zh


def test_bad_toml_syntax_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(StandardFileError) as caught:
        load_file(write(tmp_path, VALID.replace('name = "电工"', "name = 电工")))
    assert (caught.value.file, caught.value.reason) == (NAME, "standard-file-unreadable")
    assert "line" in caught.value.message_en


def test_non_utf8_file_is_unreadable_but_a_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_bytes(VALID.encode("gb18030"))
    with pytest.raises(StandardFileError) as caught:
        load_file(path)
    assert caught.value.reason == "standard-file-unreadable"
    path.write_bytes(VALID.encode("utf-8-sig"))
    assert load_file(path).code == "6-31-01-03"


@pytest.mark.parametrize("name", ["dianggong.toml", "6-31-01-03_2018.toml", "6-31-01-03@18.toml"])
def test_file_name_must_be_code_at_version(tmp_path: Path, name: str) -> None:
    with pytest.raises(StandardFileError) as caught:
        load_file(write(tmp_path, name=name))
    assert (caught.value.file, caught.value.reason) == (name, "standard-file-name-invalid")


# --- the catalogue -----------------------------------------------------------------------------------


def test_catalogue_sorts_by_code_then_version_and_skips_hidden_folders(tmp_path: Path) -> None:
    newer = VALID.replace("2018", "2024").replace("2024-12-26", "2025-03-01")
    write(tmp_path, newer, "6-31-01-03@2024.toml")
    write(tmp_path / "archive", VALID)
    for shipped in ("4-10-01-06@2019.toml", "6-18-02-04@2018.toml"):
        shutil.copy(DATA_DIR / shipped, tmp_path / shipped)
    write(tmp_path / ".git", VALID)
    refs = [v.ref for v in load_catalogue(tmp_path)]
    assert refs == ["4-10-01-06@2019", "6-18-02-04@2018", "6-31-01-03@2018", "6-31-01-03@2024"]


def test_catalogue_refuses_two_files_for_one_version(tmp_path: Path) -> None:
    write(tmp_path)
    write(tmp_path / "copy", VALID.replace("测试用", "另一份"))
    with pytest.raises(StandardFileError) as caught:
        load_catalogue(tmp_path)
    error = caught.value
    assert (error.file, error.field, error.reason) == (f"copy/{NAME}", "version", "standard-duplicate-version")
    assert NAME in error.message_en and NAME in error.message_zh


def test_catalogue_refuses_a_misnamed_file_instead_of_skipping_it(tmp_path: Path) -> None:
    write(tmp_path)
    write(tmp_path, name="electrician.toml")
    with pytest.raises(StandardFileError, match="electrician.toml"):
        load_catalogue(tmp_path)


def test_catalogue_of_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StandardFileError) as caught:
        load_catalogue(tmp_path / "nowhere")
    assert caught.value.reason == "standard-file-unreadable"


# --- evaluation --------------------------------------------------------------------------------------

LEVEL_3 = Level(3, ("途径",), (Component.of("theory"), Component.of("skill")))
LEVEL_2 = Level(2, ("途径",), tuple(Component.of(kind, 62) for kind in COMPONENT_KINDS))


@pytest.mark.parametrize(
    ("theory", "skill", "passed", "failed"),
    [
        (60, 60, True, ()),
        (59, 60, False, ("theory",)),
        (60, 59, False, ("skill",)),
        (0, 100, False, ("theory",)),
        (100, 100, True, ()),
        (59, 59, False, ("theory", "skill")),
    ],
)
def test_pass_needs_every_component_at_the_pass_mark(
    theory: int, skill: int, passed: bool, failed: tuple[str, ...]
) -> None:
    outcome = evaluate(LEVEL_3, {"theory": theory, "skill": skill})
    assert (outcome.passed, outcome.failed, outcome.missing) == (passed, failed, ())
    assert outcome.scores == {"theory": theory, "skill": skill}


def test_pass_mark_comes_from_the_component() -> None:
    assert not evaluate(LEVEL_2, {"theory": 62, "skill": 62, "review": 61}).passed
    assert evaluate(LEVEL_2, {"theory": 62, "skill": 62, "review": 62}).passed


def test_missing_score_is_not_a_pass() -> None:
    outcome = evaluate(LEVEL_2, {"theory": 90, "skill": None})
    assert (outcome.passed, outcome.failed, outcome.missing) == (False, (), ("skill", "review"))
    assert outcome.reason_zh == "技能考核缺少成绩；综合评审缺少成绩"


def test_reasons_name_component_score_and_pass_mark() -> None:
    outcome = evaluate(LEVEL_3, {"theory": 75, "skill": 52})
    assert outcome.reason_zh == "技能考核 52 分，低于合格线 60 分"
    assert outcome.reason_en == "Practical skills assessment 52 is below the pass mark 60"
    passed = evaluate(LEVEL_3, {"theory": 60, "skill": 60})
    assert passed.reason_zh == "各考核项目均达到合格线"
    assert passed.reason_en == "Every component reaches its pass mark"


def test_score_for_a_component_the_level_lacks_is_a_bug() -> None:
    with pytest.raises(ValueError, match="review"):
        evaluate(LEVEL_3, {"theory": 80, "skill": 80, "review": 80})


@pytest.mark.parametrize("score", [101, -1, True, 59.5, "60"])
def test_score_outside_0_to_100_is_a_bug(score: object) -> None:
    with pytest.raises(ValueError, match="theory"):
        evaluate(LEVEL_3, {"theory": score, "skill": 80})  # type: ignore[dict-item]


def test_evaluating_a_shipped_level() -> None:
    electrician = next(v for v in load_catalogue() if v.code == "6-31-01-03")
    outcome = evaluate(electrician.level(1), {"theory": 88, "skill": 61, "review": 59})
    assert (outcome.passed, outcome.failed) == (False, ("review",))
    assert outcome.reason_zh == "综合评审 59 分，低于合格线 60 分"

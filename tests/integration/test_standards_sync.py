"""`registry standards sync` semantics: idempotent, published versions immutable, new versions supersede."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

import standards
from registry.errors import Conflict, InvalidInput
from registry.models import AuditEvent, PublishedStandard
from registry.services.actors import SYSTEM
from registry.services.standards import as_version, catalogue, sync_standards
from tests import factories as f

ELECTRICIAN = standards.DATA_DIR / "6-31-01-03@2018.toml"


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_sync_publishes_every_shipped_version_once(session):
    first = sync_standards(session, versions=standards.load_catalogue(), actor=SYSTEM, now=f.NOW)
    again = sync_standards(session, versions=standards.load_catalogue(), actor=SYSTEM, now=f.NOW)
    assert sorted(first.added) == [
        "4-02-07-10@2021", "4-03-02-01@2018", "4-10-01-06@2019", "6-18-02-04@2018", "6-31-01-03@2018",
    ]
    assert again.added == () and len(again.unchanged) == 5
    assert _count(session, PublishedStandard) == 5
    assert _count(session, AuditEvent) == 5  # one standard.published each, none for the no-op


def test_a_stored_version_reads_back_as_the_same_standard(session):
    f.publish_catalogue(session)
    row = session.exec(select(PublishedStandard).where(PublishedStandard.code == "4-10-01-06")).one()
    version = as_version(row)
    assert version.work_types == ("母婴护理员", "家务服务员", "家庭照护员")
    assert version.level_digits == (5, 4, 3, 2)
    assert version.level(2).component_kinds == ("theory", "skill", "review")
    assert version.content_hash == row.content_hash == standards.load_file(
        standards.DATA_DIR / "4-10-01-06@2019.toml").content_hash


def _edited_copy(tmp_path, source, replacements, name=None):
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    target = tmp_path / (name or source.name)
    target.write_text(text, encoding="utf-8")
    return target


def test_changing_a_published_version_is_refused_and_nothing_else_lands(session, tmp_path):
    f.publish_catalogue(session)
    changed = _edited_copy(tmp_path, ELECTRICIAN,
                           [('{ kind = "skill", pass_mark = 60 }', '{ kind = "skill", pass_mark = 55 }')])
    newer = _edited_copy(tmp_path, ELECTRICIAN, [("version = 2018", "version = 2024"), ("2018年版）", "2024年版）"),
                                                   ("effective_from = 2018-12-26", "effective_from = 2025-03-01")],
                         name="6-31-01-03@2024.toml")
    versions = [standards.load_file(changed), standards.load_file(newer)]
    with pytest.raises(Conflict) as err:
        sync_standards(session, versions=versions, actor=SYSTEM, now=f.NOW)
    assert err.value.reason == "standard-version-changed"
    assert "6-31-01-03@2018.toml" in err.value.message_en and "cannot change" in err.value.message_en
    assert "不可更改" in err.value.message_zh
    assert _count(session, PublishedStandard) == 5  # the valid new version was not published either


def test_a_whitespace_only_edit_is_not_a_change(session, tmp_path):
    f.publish_catalogue(session)
    edited = _edited_copy(tmp_path, ELECTRICIAN, [("code = ", "\n\n# reformatted\ncode   =   ")])
    report = sync_standards(session, versions=[standards.load_file(edited)], actor=SYSTEM, now=f.NOW)
    assert report.unchanged == ("6-31-01-03@2018",)


def test_a_new_version_supersedes_the_old_from_its_effective_date(session, tmp_path):
    f.publish_catalogue(session)
    newer = _edited_copy(tmp_path, ELECTRICIAN, [("version = 2018", "version = 2024"), ("2018年版）", "2024年版）"),
                                                   ("effective_from = 2018-12-26", "effective_from = 2025-03-01")],
                         name="6-31-01-03@2024.toml")
    sync_standards(session, versions=[standards.load_file(newer)], actor=SYSTEM, now=f.NOW)

    def statuses(day):
        return {(e.row.version, e.status, e.superseded_by) for e in catalogue(session, today=day)
                if e.row.code == "6-31-01-03"}

    assert statuses(date(2025, 2, 28)) == {(2018, "current", None), (2024, "upcoming", None)}
    assert statuses(date(2025, 3, 1)) == {(2018, "superseded", "6-31-01-03@2024"), (2024, "current", None)}

    body = f.body(session)
    assessor = f.staff(session, body, "assessor")
    with pytest.raises(InvalidInput) as err:
        f.open_batch(session, body, assessor, version=2018)  # assessed 2026-05-10, after 2024 took effect
    assert err.value.reason == "standard-not-in-force"
    assert "6-31-01-03@2024" in err.value.message_en
    assert f.open_batch(session, body, assessor, version=2024).level == 4

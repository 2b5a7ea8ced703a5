"""工种 per level: a standard may offer some 工种 only up to a certain level."""

from __future__ import annotations

import pytest

import standards


def _by_ref(ref: str) -> standards.StandardVersion:
    return next(v for v in standards.load_catalogue() if v.ref == ref)


def test_domestic_service_technicians_are_not_split_by_work_type():
    version = _by_ref("4-10-01-06@2019")
    assert version.level(3).work_types == ("母婴护理员", "家务服务员", "家庭照护员")
    assert version.level(2).work_types == ()


def test_welding_work_types_stop_at_their_own_top_level():
    version = _by_ref("6-18-02-04@2018")
    assert "气焊工" in version.level(3).work_types
    assert version.level(2).work_types == ("电焊工", "钎焊工", "焊接设备操作工")
    assert version.level(1).work_types == ("电焊工", "焊接设备操作工")


def test_a_level_work_type_must_be_one_of_the_standards(tmp_path):
    source = standards.DATA_DIR / "6-18-02-04@2018.toml"
    text = source.read_text(encoding="utf-8").replace('work_types = ["电焊工", "焊接设备操作工"]',
                                                      'work_types = ["电焊工", "水下焊工"]')
    target = tmp_path / source.name
    target.write_text(text, encoding="utf-8")
    with pytest.raises(standards.StandardFileError) as err:
        standards.load_file(target)
    assert err.value.field == "levels[4].work_types[1]"
    assert "水下焊工" in err.value.message_en and "不在本标准的工种列表" in err.value.message_zh


def test_work_types_survive_the_round_trip_through_stored_content():
    version = _by_ref("6-18-02-04@2018")
    again = standards.version_from_content(version.to_content(), source=version.source,
                                           content_hash=version.content_hash)
    assert again == version

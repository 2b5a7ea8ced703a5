"""The certificate record: every printed field, stable keys, and a lossless round trip."""

from __future__ import annotations

from datetime import date

from certificates import canonical_bytes
from certificates.record import CertificateRecord

RECORD = CertificateRecord(
    number="S000144440101264000001", holder_name="欧阳𬘭", id_type="resident", id_type_label="居民身份证",
    id_number="11010519491231002X", occupation_code="4-10-01-06", occupation_name="家政服务员", work_type="--",
    level=4, level_label="四级/中级工", standard="4-10-01-06@2019",
    standard_title="国家职业技能标准 家政服务员（2019年版）",
    body_name="测试评价中心", body_credit_code="52440000MJL000207G", assessed_on=date(2026, 5, 10),
    issued_on=date(2026, 5, 20),
)


def test_the_record_carries_the_title_and_format_and_iso_dates():
    data = RECORD.to_dict()
    assert data["title"] == "职业技能等级证书"
    assert data["format"] == 1
    assert (data["assessed_on"], data["issued_on"]) == ("2026-05-10", "2026-05-20")
    assert data["supersedes"] is None
    assert set(data) == {
        "number", "holder_name", "id_type", "id_type_label", "id_number", "occupation_code", "occupation_name",
        "work_type", "level", "level_label", "standard", "standard_title", "body_name", "body_credit_code",
        "assessed_on", "issued_on", "supersedes", "title", "format",
    }


def test_round_trip_and_canonical_bytes_are_stable():
    assert CertificateRecord.from_dict(RECORD.to_dict()) == RECORD
    first = canonical_bytes(RECORD.to_dict())
    assert first == canonical_bytes(CertificateRecord.from_dict(RECORD.to_dict()).to_dict())
    assert "欧阳𬘭".encode() in first  # written as itself, not as \\u escapes

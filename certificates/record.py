"""The certificate record: every printed field, in the canonical form that is signed."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

RECORD_FORMAT = 1
TITLE = "职业技能等级证书"
NO_WORK_TYPE = "--"


@dataclass(frozen=True)
class CertificateRecord:
    """What the certificate says, frozen at issuance. The signature covers `to_dict()`."""

    number: str
    holder_name: str
    id_type: str
    id_type_label: str
    id_number: str
    occupation_code: str
    occupation_name: str
    work_type: str  # NO_WORK_TYPE when the standard has none: never blank
    level: int
    level_label: str  # e.g. 三级/高级工
    standard: str  # e.g. 6-31-01-03@2018
    standard_title: str
    body_name: str  # exactly as filed
    body_credit_code: str
    assessed_on: date
    issued_on: date
    supersedes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict, whose deep copy costs more than the signature.
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["assessed_on"] = self.assessed_on.isoformat()
        data["issued_on"] = self.issued_on.isoformat()
        data["title"] = TITLE
        data["format"] = RECORD_FORMAT
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CertificateRecord:
        values = {k: v for k, v in data.items() if k not in ("title", "format")}
        values["assessed_on"] = date.fromisoformat(values["assessed_on"])
        values["issued_on"] = date.fromisoformat(values["issued_on"])
        return cls(**values)

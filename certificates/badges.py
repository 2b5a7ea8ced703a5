"""A certificate as an Open Badges 3.0 OpenBadgeCredential (a W3C Verifiable Credential 2.0), unsigned.

One Achievement per standard version and level, the issuing body as the issuer Profile (identified by its did:key),
the holder by a salted hash of the ID number, revocation by a Bitstring Status List entry. Signing is
certificates.data_integrity; which key, which salt secret and which list are the registry's business.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from certificates.data_integrity import xsd_datetime
from certificates.identifiers import fold_id
from certificates.jsonld import OB_V3, VC_V2
from certificates.record import NO_WORK_TYPE, TITLE, CertificateRecord

CONTEXT = [VC_V2, OB_V3]
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
# OB 3.0 AchievementType: "Certificate" is a credential of the knowledge and skills of an occupation that does not
# lapse (a "Certification" is time-limited and renewable; a "License" a legal authority to practise).
ACHIEVEMENT_TYPE = "Certificate"
# OB 3.0 IdentifierTypeEnum: a PRC resident ID is a national identity number; the other documents (passports,
# travel permits, residence cards) are plain identifiers.
_IDENTITY_TYPES = {"resident": "nationalIdentityNumber"}
_SALT_INFO = b"skill-registry/open-badges-salt/v1"
_SALT_HEX = 32  # 128 bits


@dataclass(frozen=True)
class IssuerProfile:
    """The evaluation body as an OB 3.0 Profile."""

    did: str  # did:key of the body's credential key
    name: str  # exactly as filed (the record's body_name)
    url: str  # the body's public page in the registry
    credit_code: str  # 统一社会信用代码

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.did,
            "type": ["Profile"],
            "name": self.name,
            "url": self.url,
            # OB 3.0 has no identifier type for a company register number; "identifier" is its generic one.
            "otherIdentifier": [{"type": ["IdentifierEntry"], "identifier": self.credit_code,
                                 "identifierType": "identifier"}],
        }


@dataclass(frozen=True)
class Component:
    """One part of a level's assessment as the standard defines it, e.g. 理论知识考试 with pass mark 60 of 100."""

    name: str
    pass_mark: int
    max_score: int = 100


def salt_secret(master_key: bytes) -> bytes:
    """The key the per-certificate salts are made with, derived from the registry's master key under its own label
    (so it reveals nothing about the key that encrypts private keys)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SALT_INFO).derive(master_key)


def holder_salt(secret: bytes, number: str) -> str:
    """The salt of one certificate's holder hash: HMAC of the certificate number, so every export of a certificate
    carries the same hash while no one without the secret can predict it, and two certificates of one person carry
    unrelated hashes."""
    return hmac.new(secret, number.encode("ascii"), hashlib.sha256).hexdigest()[:_SALT_HEX]


def identity_hash(id_number: str, salt: str) -> str:
    """OB 3.0 IdentityHash: `sha256$` and the hex SHA-256 of the folded ID number followed by the salt."""
    return "sha256$" + hashlib.sha256((fold_id(id_number) + salt).encode("utf-8")).hexdigest()


def achievement_url(registry_url: str, record: CertificateRecord) -> str:
    """The Achievement's id: the standard's public page, one fragment per version and level."""
    code, _, version = record.standard.partition("@")
    return f"{registry_url}/standards/{code}#v{version}-level-{record.level}"


def credential_urn(registry_url: str, number: str, issuer_did: str) -> str:
    """A stable `urn:uuid:` per certificate and issuing key: re-exports keep it, a new key makes a new credential."""
    name = f"{registry_url}/certificates/{number}?issuer={issuer_did}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def achievement_definition(record: CertificateRecord, *, registry_url: str, registry_name: str,
                components: Sequence[Component]) -> dict[str, Any]:
    """The Achievement: what any holder of this standard version and level has shown, the same in every credential."""
    version = record.standard.partition("@")[2]
    parts = "、".join(f"{c.name}（满分 {c.max_score} 分，合格 {c.pass_mark} 分）" for c in components)
    criteria = (f"按《{record.standard_title}》{record.level_label}的要求参加职业技能等级认定，"
                + (f"{parts}均达到合格分数线，" if parts else "")
                + "经评价机构审核认定并在登记系统登记。")
    return {
        "id": achievement_url(registry_url, record),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": f"{record.occupation_name} {record.level_label}",
        "description": (f"{record.standard_title}规定的{record.level_label}职业技能等级"
                        f"（职业编码 {record.occupation_code}）。"),
        "criteria": {"narrative": criteria},
        # The registry publishes the standard versions these achievements point to.
        "creator": {"id": f"{registry_url}/", "type": ["Profile"], "name": registry_name, "url": f"{registry_url}/"},
        "humanCode": f"{record.occupation_code}-{record.level}",
        "version": version,
        "inLanguage": "zh-CN",
        "tag": [record.occupation_name, record.level_label],
    }


def open_badge_credential(record: CertificateRecord, *, credential_id: str, issuer: IssuerProfile,
                          achievement: dict[str, Any], salt: str, status: dict[str, Any],
                          issued_at: datetime) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of a certificate."""
    work = "" if record.work_type == NO_WORK_TYPE else f"（{record.work_type}）"
    issued = xsd_datetime(issued_at)
    return {
        "@context": list(CONTEXT),
        "id": credential_id,
        "type": list(CREDENTIAL_TYPES),
        "name": f"{TITLE} {record.occupation_name}{work} {record.level_label}",
        "description": (f"{TITLE}，证书编号 {record.number}；职业（工种）：{record.occupation_name}{work}；"
                        f"等级：{record.level_label}；评价机构：{record.body_name}；"
                        f"认定日期 {record.assessed_on.isoformat()}。"),
        "issuer": issuer.to_json(),
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": ["IdentityObject"], "identityType": _IDENTITY_TYPES.get(record.id_type, "identifier"),
                 "hashed": True, "identityHash": identity_hash(record.id_number, salt), "salt": salt},
                # The name as printed on the certificate, in the clear: wallets show it, and it proves nothing alone.
                {"type": ["IdentityObject"], "identityType": "name", "hashed": False,
                 "identityHash": record.holder_name},
            ],
            "licenseNumber": record.number,
            "activityEndDate": record.assessed_on.isoformat(),
            "achievement": achievement,
        },
        "credentialStatus": status,
    }

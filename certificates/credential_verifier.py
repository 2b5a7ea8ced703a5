"""The offline verifier for Open Badges credentials: is this OpenBadgeCredential a genuine certificate of a filed
body? Needs only the trust bundle, which names each body's credential keys by their did:key.

Checks, in order: the file is an OpenBadgeCredential; its issuer's did:key is one the bundle lists; its
eddsa-rdfc-2022 proof verifies (the contexts are bundled, nothing is fetched); it is not dated after its key was
retired; given the holder's ID number, the salted hash matches it; finally, with a status snapshot, whether the
certificate was revoked or superseded. The credential's own status list is online (the registry serves it) and
is not fetched here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from certificates.badges import identity_hash
from certificates.data_integrity import verify as proof_verifies
from certificates.trust import CredentialKeyEntry, StatusSnapshot, TrustBundle
from certificates.verifier import EXIT_CODES, Verdict

HEADLINES = {
    Verdict.GENUINE: ("电子证书（Open Badges）真实有效", "GENUINE: the credential is authentic"),
    Verdict.MALFORMED: ("无法识别：不是 Open Badges 电子证书", "NOT RECOGNISED: not an OpenBadgeCredential"),
    Verdict.UNKNOWN_ISSUER: ("签发者未知：签发密钥不在信任清单中",
                             "UNKNOWN ISSUER: signed by a key the trust bundle does not list"),
    Verdict.FORGED: ("伪造：签名与内容不符", "FORGED: the proof does not match the content"),
    Verdict.MISMATCH: ("不一致：证书不属于该证件号码的持有人",
                       "MISMATCH: the credential is not for the holder of that ID number"),
    Verdict.REVOKED: ("证书已撤销", "REVOKED: the certificate was revoked"),
    Verdict.SUPERSEDED: ("证书已被换发的新证书替代", "SUPERSEDED: the certificate was replaced by a reissued one"),
}


@dataclass(frozen=True)
class CredentialReport:
    verdict: Verdict
    detail: str = ""
    credential: dict[str, Any] | None = None
    issuer: CredentialKeyEntry | None = None
    checks: tuple[str, ...] = field(default=())

    @property
    def genuine(self) -> bool:
        return self.verdict is Verdict.GENUINE

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def lines(self) -> list[str]:
        """What `registry verify` prints for a credential."""
        zh, en = HEADLINES[self.verdict]
        out = [zh, en]
        if self.detail:
            out.append(self.detail)
        if self.credential is not None and self.verdict is not Verdict.FORGED:
            subject = self.credential.get("credentialSubject") or {}
            out += [f"  证书编号 number:      {subject.get('licenseNumber', '')}",
                    f"  姓名 name:            {_holder_name(subject)}",
                    f"  证书 credential:      {self.credential.get('name', '')}",
                    f"  发证日期 issued:      {self.credential.get('validFrom', '')}"]
        if self.issuer is not None:
            out.append(f"  发证机构 issuer:      {self.issuer.body_name} ({self.issuer.credit_code}), "
                       f"body {self.issuer.body_status}, key {self.issuer.did}")
        out += [f"  ✓ {check}" for check in self.checks]
        return out


def verify_credential(data: bytes | str, bundle: TrustBundle, status: StatusSnapshot | None = None, *,
                      id_number: str | None = None) -> CredentialReport:
    try:
        credential = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return CredentialReport(Verdict.MALFORMED, "The file is not JSON.")
    if not isinstance(credential, dict) or "OpenBadgeCredential" not in (credential.get("type") or []):
        return CredentialReport(Verdict.MALFORMED, "The JSON is not an OpenBadgeCredential.")
    issuer = credential.get("issuer")
    did = issuer.get("id") if isinstance(issuer, dict) else issuer
    entry = bundle.credential_key(did) if isinstance(did, str) else None
    if entry is None:
        return CredentialReport(Verdict.UNKNOWN_ISSUER, f"The issuer {did!r} is not a credential key of any body "
                                "in the trust bundle.", credential)
    checks = [f"issuer {did} is {entry.body_name}'s credential key (trust bundle, signed by the registry root)"]
    if not proof_verifies(credential):
        return CredentialReport(Verdict.FORGED, "The eddsa-rdfc-2022 proof does not verify.", None, entry)
    checks.append("eddsa-rdfc-2022 proof verifies (contexts bundled, nothing fetched)")
    issued = _moment(credential.get("validFrom"))
    if issued is None:
        return CredentialReport(Verdict.MALFORMED, "The credential has no readable validFrom.", credential, entry)
    if entry.retired_at is not None and issued > entry.retired_at:
        return CredentialReport(Verdict.FORGED, f"Dated {issued:%Y-%m-%d}, after its key was retired on "
                                f"{entry.retired_at:%Y-%m-%d}.", None, entry)
    subject = credential.get("credentialSubject") or {}
    if id_number is not None:
        if not _holder_matches(subject, id_number):
            return CredentialReport(Verdict.MISMATCH, "The holder's salted ID hash is not that of the ID number "
                                    "given.", credential, entry, tuple(checks))
        checks.append("the holder's salted ID hash matches the ID number given")
    number = str(subject.get("licenseNumber", ""))
    if status is not None:
        found = status.get(number)
        if found is not None and found.status == "revoked":
            return CredentialReport(Verdict.REVOKED, f"Revoked on {found.since.isoformat()} (reason: {found.reason}).",
                                    credential, entry, tuple(checks))
        if found is not None and found.status == "superseded":
            return CredentialReport(Verdict.SUPERSEDED, f"Replaced by {found.successor} on "
                                    f"{found.since.isoformat()}.", credential, entry, tuple(checks))
        checks.append(f"not revoked or superseded as of {status.generated_at:%Y-%m-%d %H:%M} UTC (status snapshot)")
    return CredentialReport(Verdict.GENUINE, "" if status else "No status snapshot given: revocation was not "
                            "checked.", credential, entry, tuple(checks))


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _holder_name(subject: dict[str, Any]) -> str:
    for identity in subject.get("identifier") or []:
        if isinstance(identity, dict) and identity.get("identityType") == "name":
            return str(identity.get("identityHash", ""))
    return ""


def _holder_matches(subject: dict[str, Any], id_number: str) -> bool:
    """The ID number, folded as the registry folds it (spaces gone, x upper case), hashed with the credential's salt."""
    return any(
        isinstance(identity, dict) and identity.get("hashed") is True and isinstance(identity.get("salt"), str)
        and identity.get("identityHash") == identity_hash(id_number, identity["salt"])
        for identity in subject.get("identifier") or []
    )

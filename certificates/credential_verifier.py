"""The offline verifier for Open Badges credentials: is this OpenBadgeCredential a genuine certificate of a filed
body? Needs only the trust bundle, which names each body's credential keys by their did:key.

Checks, in order: the file is an OpenBadgeCredential; its issuer's did:key is one the bundle lists; its
eddsa-rdfc-2022 proof verifies (the contexts are bundled, nothing is fetched); it is not dated after its key was
retired; given the holder's ID number, the salted hash matches it; finally, with a status snapshot, whether the
certificate was revoked or superseded. The credential's own status list is online (the registry serves it) and
is not fetched here.

What is checked and shown is read from the statements the proof covers (the canonical N-Quads), never from the
JSON as written: JSON-LD can write one signed value in several shapes (an `@value` object, a list, the full IRI as
the key), and a check that read the JSON could be sent looking for another certificate number than the signed one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from certificates.badges import identity_hash
from certificates.data_integrity import verify as proof_verifies
from certificates.jsonld import CanonicalizationError, statements
from certificates.trust import CredentialKeyEntry, StatusSnapshot, TrustBundle
from certificates.verifier import Verdict, Verdicted

_VC = "https://www.w3.org/2018/credentials#"
_OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_NAME = "https://schema.org/name"


@dataclass(frozen=True)
class SignedCredential:
    """The fields the checks need, as the proof signed them."""

    issuer: str
    title: str
    number: str
    valid_from: datetime
    holder_name: str
    hashed_ids: tuple[tuple[str, str], ...]  # (identityHash, salt) of each hashed identity of the holder


class _Shape(ValueError):
    """The signed statements are not one credential of the shape the registry issues."""


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
class CredentialReport(Verdicted):
    verdict: Verdict
    detail: str = ""
    signed: SignedCredential | None = None  # only once the proof verified
    issuer: CredentialKeyEntry | None = None
    checks: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        """What `registry verify` prints for a credential."""
        zh, en = HEADLINES[self.verdict]
        out = [zh, en]
        if self.detail:
            out.append(self.detail)
        if self.signed is not None:
            signed = self.signed
            out += [f"  证书编号 number:      {signed.number}",
                    f"  姓名 name:            {signed.holder_name}",
                    f"  证书 credential:      {signed.title}",
                    f"  发证日期 issued:      {signed.valid_from:%Y-%m-%d %H:%M} UTC"]
        if self.issuer is not None:
            out.append(f"  发证机构 issuer:      {self.issuer.body_name} ({self.issuer.credit_code}), "
                       f"body {self.issuer.body_status}, key {self.issuer.did}")
        out += [f"  ✓ {check}" for check in self.checks]
        return out


def verify_credential(data: bytes | str, bundle: TrustBundle, status: StatusSnapshot | None = None, *,
                      id_number: str | None = None) -> CredentialReport:
    try:
        text = data.removeprefix(b"\xef\xbb\xbf") if isinstance(data, bytes) else data.removeprefix("\ufeff")
        credential = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return CredentialReport(Verdict.MALFORMED, "The file is not JSON.")
    types = credential.get("type") if isinstance(credential, dict) else None
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        return CredentialReport(Verdict.MALFORMED, "The JSON is not an OpenBadgeCredential.")
    issuer = credential.get("issuer")
    did = issuer.get("id") if isinstance(issuer, dict) else issuer
    entry = bundle.credential_key(did) if isinstance(did, str) else None
    if entry is None:
        return CredentialReport(Verdict.UNKNOWN_ISSUER, f"The issuer {str(did)[:80]!r} is not a credential key of any "
                                "body in the trust bundle.")
    checks = [f"issuer {did} is {entry.body_name}'s credential key (trust bundle, signed by the registry root)"]
    if not proof_verifies(credential):
        return CredentialReport(Verdict.FORGED, "The eddsa-rdfc-2022 proof does not verify.", None, entry)
    checks.append("eddsa-rdfc-2022 proof verifies (contexts bundled, nothing fetched)")
    try:
        signed = signed_credential(credential)
    except _Shape as err:
        return CredentialReport(Verdict.MALFORMED, f"Signed, but not a credential as the registry issues them: {err}",
                                None, entry)
    if signed.issuer != did:
        return CredentialReport(Verdict.MALFORMED, "The signed issuer is not the one the proof names.", None, entry)
    if entry.retired_at is not None and signed.valid_from > entry.retired_at:
        return CredentialReport(Verdict.FORGED, f"Dated {signed.valid_from:%Y-%m-%d}, after its key was retired on "
                                f"{entry.retired_at:%Y-%m-%d}.", None, entry)
    if id_number is not None:
        if not any(value == identity_hash(id_number, salt) for value, salt in signed.hashed_ids):
            return CredentialReport(Verdict.MISMATCH, "The holder's salted ID hash is not that of the ID number "
                                    "given.", signed, entry, tuple(checks))
        checks.append("the holder's salted ID hash matches the ID number given")
    if status is not None:
        found = status.get(signed.number)
        if found is not None and found.status == "revoked":
            return CredentialReport(Verdict.REVOKED, f"Revoked on {found.since.isoformat()} (reason: {found.reason}).",
                                    signed, entry, tuple(checks))
        if found is not None and found.status == "superseded":
            return CredentialReport(Verdict.SUPERSEDED, f"Replaced by {found.successor} on "
                                    f"{found.since.isoformat()}.", signed, entry, tuple(checks))
        checks.append(f"not revoked or superseded as of {status.generated_at:%Y-%m-%d %H:%M} UTC (status snapshot)")
    return CredentialReport(Verdict.GENUINE, "" if status else "No status snapshot given: revocation was not "
                            "checked.", signed, entry, tuple(checks))


def signed_credential(credential: dict[str, Any]) -> SignedCredential:
    """The credential's fields from the statements its proof covers; _Shape unless there is exactly one credential
    with one issuer, date, subject and certificate number."""
    try:
        found = statements({k: v for k, v in credential.items() if k != "proof"})
    except (CanonicalizationError, KeyError, TypeError, ValueError, RecursionError) as err:
        raise _Shape(f"its JSON-LD cannot be read ({str(err)[:120]})") from err
    nodes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for subject, predicate, value, _literal in found:
        nodes[subject][predicate].append(value)
    [credential_node] = _only([n for n, p in nodes.items() if _OB + "OpenBadgeCredential" in p.get(_TYPE, [])],
                              "credential")
    about = nodes[credential_node]
    [subject] = _only(about.get(_VC + "credentialSubject", []), "credentialSubject")
    held = nodes[subject]
    [number] = _only(held.get(_OB + "licenseNumber", []), "licenseNumber")
    [issuer] = _only(about.get(_VC + "issuer", []), "issuer")
    [valid_from] = _only(about.get(_VC + "validFrom", []), "validFrom")
    moment = _moment(valid_from)
    if moment is None:
        raise _Shape(f"validFrom {valid_from!r} is not a date and time")
    names, hashed = [], []
    for identity in held.get(_OB + "identifier", []):
        fields = nodes.get(identity, {})
        values, salts = fields.get(_OB + "identityHash", []), fields.get(_OB + "salt", [])
        if fields.get(_OB + "identityType") == ["name"] and len(values) == 1:
            names.append(values[0])
        elif len(values) == 1 and len(salts) == 1:
            hashed.append((values[0], salts[0]))
    return SignedCredential(issuer=issuer, title=" / ".join(sorted(about.get(_NAME, []))), number=number,
                            valid_from=moment, holder_name=" / ".join(names), hashed_ids=tuple(hashed))


def _only(values: list[str], what: str) -> list[str]:
    if len(values) != 1:
        raise _Shape(f"{len(values)} values of {what}, not one")
    return values


def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

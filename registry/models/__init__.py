"""Tables, one module per aggregate; persistence only, no rules."""

from registry.models._types import pk
from registry.models.api import TOKEN_SCOPES, ApiToken, IdempotentRequest
from registry.models.audit import AuditEvent
from registry.models.batch import Batch, Candidate
from registry.models.body import Body, ScopeEntry
from registry.models.certificate import REVOCATION_REASONS, Certificate, Revocation, SerialCounter
from registry.models.keys import CertificatePdf, SigningKey
from registry.models.standard import PublishedStandard
from registry.models.user import User

__all__ = [
    "REVOCATION_REASONS",
    "TOKEN_SCOPES",
    "ApiToken",
    "AuditEvent",
    "Batch",
    "Body",
    "Candidate",
    "Certificate",
    "CertificatePdf",
    "IdempotentRequest",
    "PublishedStandard",
    "Revocation",
    "ScopeEntry",
    "SerialCounter",
    "SigningKey",
    "User",
    "pk",
]

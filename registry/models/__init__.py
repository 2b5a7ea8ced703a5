"""Tables, one module per aggregate; persistence only, no rules."""

from registry.models._types import pk
from registry.models.api import TOKEN_SCOPES, ApiToken, IdempotentRequest
from registry.models.audit import AuditEvent
from registry.models.batch import Batch, Candidate
from registry.models.body import Body, ScopeEntry
from registry.models.certificate import REVOCATION_REASONS, Certificate, Revocation, SerialCounter
from registry.models.credential import CredentialKey
from registry.models.job import JOB_KINDS, Job, JobFile
from registry.models.keys import CertificatePdf, SigningKey
from registry.models.photo import CandidatePhoto
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
    "CandidatePhoto",
    "Certificate",
    "CertificatePdf",
    "CredentialKey",
    "IdempotentRequest",
    "JOB_KINDS",
    "Job",
    "JobFile",
    "PublishedStandard",
    "Revocation",
    "ScopeEntry",
    "SerialCounter",
    "SigningKey",
    "User",
    "pk",
]

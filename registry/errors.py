"""Domain errors: an HTTP status, a stable reason slug and a message in Chinese and English."""

from __future__ import annotations


class DomainError(Exception):
    """A refused operation. `reason` is stable for machines; the messages are for people."""

    status = 400

    def __init__(self, reason: str, zh: str, en: str, *, field: str | None = None) -> None:
        super().__init__(f"{field + ': ' if field else ''}{en}")
        self.reason = reason
        self.message_zh = zh
        self.message_en = en
        self.field = field

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.startswith("en") else self.message_zh


class InvalidInput(DomainError):
    """The data breaks a rule of the domain (a field, a score, an ID number)."""

    status = 422


class NotFound(DomainError):
    status = 404


class Unauthenticated(DomainError):
    """No credentials, or wrong ones."""

    status = 401


class TooManyRequests(DomainError):
    """Too many attempts in a window: try again later."""

    status = 429


class Forbidden(DomainError):
    """The actor may not do this (role, own body, scope, a second person required)."""

    status = 403


class Conflict(DomainError):
    """The object is not in a state that allows this (already submitted, already revoked)."""

    status = 409


class IntegrityFailure(DomainError):
    """A stored record does not match its signature or hash."""

    status = 500

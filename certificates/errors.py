"""The one validation error of the certificates library, bilingual and machine-readable."""

from __future__ import annotations


class FieldError(ValueError):
    """A value that breaks a rule: which field, a stable slug, and the reason in Chinese and English."""

    def __init__(self, field: str, reason: str, zh: str, en: str) -> None:
        super().__init__(f"{field}: {en}")
        self.field = field
        self.reason = reason
        self.message_zh = zh
        self.message_en = en

    def __str__(self) -> str:
        return f"{self.field}: {self.message_en}"

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.reason!r}, {self.message_zh!r}, {self.message_en!r})"

    def __reduce__(self) -> tuple[type[FieldError], tuple[str, str, str, str]]:
        # Keeps the error picklable (task queues carry exceptions between processes).
        return (FieldError, (self.field, self.reason, self.message_zh, self.message_en))

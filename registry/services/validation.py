"""Small checks shared by the services, with messages in Chinese and English."""

from __future__ import annotations

from certificates import FieldError
from registry.errors import InvalidInput


def field_error(err: FieldError) -> InvalidInput:
    """Carry a pure-library validation failure across as a domain error."""
    return InvalidInput(err.reason, err.message_zh, err.message_en, field=err.field)


def require_text(value: str | None, field: str, zh_name: str, en_name: str, max_length: int) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(f"{field.replace('_', '-')}-required", f"{zh_name}不能为空。",
                           f"{en_name.capitalize()} is required.", field=field)
    if len(text) > max_length:
        raise InvalidInput(
            f"{field.replace('_', '-')}-too-long",
            f"{zh_name}不能超过 {max_length} 个字符。",
            f"{en_name.capitalize()} must be at most {max_length} characters.",
            field=field,
        )
    return text

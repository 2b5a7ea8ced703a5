"""Canonical bytes of a certificate record: the exact input of every signature and hash."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from typing import Any

# Integers outside this range lose precision in JavaScript and other IEEE-754 JSON readers, so a
# verifier written in them could not rebuild the same bytes.
MAX_SAFE_INTEGER = 2**53 - 1


def _plain(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"{path}: integer {value} is outside ±(2**53 - 1)")
        return int(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", str.__str__(value))
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be str, got {type(key).__name__}")
            name = unicodedata.normalize("NFC", str.__str__(key))
            if name in plain:
                raise ValueError(f"{path}: keys {name!r} collide after NFC normalisation")
            plain[name] = _plain(item, f"{path}.{name}")
        return plain
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(
        f"{path}: {type(value).__name__} is not allowed in a canonical record "
        "(use int for money and scores, ISO 8601 strings for dates)"
    )


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON with keys sorted by code point, no spaces, non-ASCII kept, every string NFC.

    Allowed values: str, int, bool, None, list/tuple and mappings with str keys. Floats, dates and any
    other type raise TypeError, so the bytes never depend on a float's repr or on a locale.
    """
    if not isinstance(record, Mapping):
        raise TypeError(f"a record must be a mapping, got {type(record).__name__}")
    text = json.dumps(_plain(record, "$"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")

"""The registry's signing key: created once by `registry keys init`, loaded by the app on first use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from certificates import KeyRing, Signer, generate_private_key, load_private_key_pem, private_key_to_pem


class SigningKeyMissing(RuntimeError):
    pass


def init_signing_key(path: str | os.PathLike[str], password: str | None = None) -> str:
    """Create a new P-256 key at `path` (mode 0600) and return its key id; never overwrite one."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; a signing key is never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_private_key()
    pem = private_key_to_pem(key, password.encode() if password else None)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return Signer(key).key_id


def load_signer_from(path: str | os.PathLike[str], password: str | None = None) -> Signer:
    path = Path(path)
    if not path.exists():
        raise SigningKeyMissing(f"no signing key at {path}: run `registry keys init` first")
    return Signer(load_private_key_pem(path.read_bytes(), password.encode() if password else None))


def signer_for(app: Any) -> Signer:
    """The app's signer, loaded once per process."""
    signer = app.extensions.get("registry.signer")
    if signer is None:
        signer = load_signer_from(app.config["SIGNING_KEY_FILE"], app.config["SIGNING_KEY_PASSWORD"])
        app.extensions["registry.signer"] = signer
    return signer


def keyring_for(app: Any) -> KeyRing:
    """Every public key that may have signed a stored record (one registry key in this version)."""
    keyring = app.extensions.get("registry.keyring")
    if keyring is None:
        keyring = KeyRing()
        keyring.add(signer_for(app).public_key)
        app.extensions["registry.keyring"] = keyring
    return keyring

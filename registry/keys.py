"""The master key: from REGISTRY_MASTER_KEY or a key file, held by one KeyVault per app process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from certificates.pki import new_master_key, parse_master_key
from registry.services.keys import KeyVault


class MasterKeyMissing(RuntimeError):
    pass


def create_master_key_file(path: str | os.PathLike[str]) -> Path:
    """Write a new random master key to `path` (mode 0600); never overwrite one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(new_master_key() + "\n")
    return path


def load_master_key(config: Any) -> bytes:
    """REGISTRY_MASTER_KEY if set, else the key file; a clear error naming both when neither is there."""
    text = config.get("MASTER_KEY")
    source = "REGISTRY_MASTER_KEY"
    if not text:
        path = Path(config["MASTER_KEY_FILE"])
        if not path.exists():
            raise MasterKeyMissing(
                f"no master key: set REGISTRY_MASTER_KEY, or create {path} with "
                "`registry keys init --new-master-key` (and keep a copy somewhere safe)"
            )
        text, source = path.read_text().strip(), str(path)
    try:
        return parse_master_key(text)
    except ValueError as err:
        raise MasterKeyMissing(f"{source}: {err}") from err


def vault_for(app: Any) -> KeyVault:
    """The app's key vault, created on first use so that commands that sign nothing need no master key."""
    vault = app.extensions.get("registry.vault")
    if vault is None:
        vault = app.extensions["registry.vault"] = KeyVault(load_master_key(app.config))
    return vault

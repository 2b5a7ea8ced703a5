"""What the app's configuration builds for the services: the key vault and how certificates print."""

from __future__ import annotations

from typing import Any

from registry.keys import MasterKeyMissing, vault_for
from registry.services.documents import DocumentSettings

__all__ = ["MasterKeyMissing", "document_settings", "vault_for"]


def document_settings(app: Any) -> DocumentSettings:
    return DocumentSettings(base_url=app.config["BASE_URL"], full_id=bool(app.config["PDF_FULL_ID"]))

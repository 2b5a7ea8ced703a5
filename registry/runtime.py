"""What the app's configuration builds for the services: the key vault, how certificates print, import limits."""

from __future__ import annotations

from typing import Any

from registry.keys import MasterKeyMissing, vault_for
from registry.services.documents import DocumentSettings
from registry.services.spreadsheet_import import ImportLimits

__all__ = ["MasterKeyMissing", "document_settings", "import_limits", "vault_for"]


def document_settings(app: Any) -> DocumentSettings:
    return DocumentSettings(base_url=app.config["BASE_URL"], full_id=bool(app.config["PDF_FULL_ID"]))


def import_limits(app: Any) -> ImportLimits:
    config = app.config
    return ImportLimits(
        max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"],
        max_columns=config["IMPORT_MAX_COLUMNS"], max_errors=config["IMPORT_MAX_ERRORS"],
        max_unzipped_bytes=config["IMPORT_MAX_UNZIPPED_BYTES"], max_ratio=config["IMPORT_MAX_RATIO"],
        ratio_floor=config["IMPORT_RATIO_FLOOR"], max_zip_entries=config["IMPORT_MAX_ZIP_ENTRIES"],
    )

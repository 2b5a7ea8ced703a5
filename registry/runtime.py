"""What the app's configuration builds for the services: the key vault, how certificates print, import and photo
limits."""

from __future__ import annotations

from typing import Any

from registry.keys import MasterKeyMissing, vault_for
from registry.services.documents import DocumentSettings
from registry.services.photo_import import PhotoLimits
from registry.services.spreadsheet_import import ImportLimits

__all__ = ["MasterKeyMissing", "document_settings", "import_limits", "photo_limits", "vault_for"]


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


def photo_limits(app: Any) -> PhotoLimits:
    config = app.config
    return PhotoLimits(
        max_bytes=config["PHOTOS_MAX_BYTES"], max_unzipped_bytes=config["PHOTOS_MAX_UNZIPPED_BYTES"],
        max_entries=config["PHOTOS_MAX_ENTRIES"], max_entry_bytes=config["PHOTOS_MAX_ENTRY_BYTES"],
    )

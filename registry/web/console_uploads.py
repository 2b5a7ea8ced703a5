"""The body console's uploads onto a batch: the spreadsheet template, a spreadsheet of candidates, a ZIP of their
photos; large files go to a background job."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, url_for
from flask_babel import format_decimal, ngettext

from registry.db import get_session
from registry.errors import InvalidInput
from registry.runtime import import_limits, photo_limits
from registry.services import jobs as job_service
from registry.services import registers
from registry.services.actors import require_body_role
from registry.services.batches import (
    ENTRY_ROLES,
    require_editable,
)
from registry.services.photo_import import PhotosRejected, import_photos
from registry.services.sheets import PastedRowsRejected
from registry.services.spreadsheet_import import errors_xlsx, import_spreadsheet, require_file_size, template_xlsx
from registry.services.zip_safety import require_size
from registry.web.console import batch_page, start_job
from registry.web.console_base import (
    BODY_STAFF,
    bp,
    now,
)
from registry.web.downloads import xlsx_download
from registry.web.forms import (
    ImportForm,
    PhotosForm,
)
from registry.web.i18n import select_language
from registry.web.staff import current_actor, staff_required


@bp.get("/batches/<int:batch_id>/template.xlsx")
@staff_required(*BODY_STAFF)
def import_template(batch_id: int) -> Any:
    """The XLSX to fill in for this batch's level (the API's template, for a signed-in person)."""
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=current_actor())
    template = template_xlsx(registers.batch_level(session, batch), import_limits(current_app))
    return xlsx_download(template, f"batch-{batch_id}-template.xlsx")


@bp.post("/batches/<int:batch_id>/import")
@staff_required(*BODY_STAFF)
def import_file(batch_id: int) -> Any:
    """Candidates from an XLSX or CSV file: all of them, or none and every bad cell named (a table on the page, or
    an XLSX report when the second button was pressed)."""
    actor = current_actor()
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=actor)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)  # refused as for pasted rows, whatever the file
    require_editable(batch)
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        return batch_page(batch_id, status=422, import_form=form)
    upload = form.file.data
    size = upload.stream.seek(0, 2)
    upload.stream.seek(0)
    try:
        if size > current_app.config["JOBS_IMPORT_INLINE_BYTES"]:  # a large file: in the background
            require_file_size(size, import_limits(current_app))
            return start_job(batch_id, lambda actor: job_service.queue_import(
                session, batch_id=batch_id, actor=actor, filename=upload.filename or "", content=upload.stream.read(),
                lang=select_language(), now=now()))
        result = import_spreadsheet(session, batch_id=batch_id, filename=upload.filename or "", stream=upload.stream,
                                    actor=actor, now=now(), limits=import_limits(current_app))
    except PastedRowsRejected as err:
        if form.report.data:
            # 200, not 422: a browser saves a download only from a successful answer
            return xlsx_download(errors_xlsx(err.errors, select_language(), err.omitted),
                                 f"batch-{batch_id}-errors.xlsx")
        return batch_page(batch_id, status=422, import_form=form, import_refused=err)
    except InvalidInput as err:  # the file as a whole: its size, type or shape
        form.file.errors = [err.message(select_language())]
        return batch_page(batch_id, status=err.status, import_form=form)
    flash(ngettext("已导入 %(count)s 名考生。", "已导入 %(count)s 名考生。", result.added,
                   count=format_decimal(result.added)))
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))


@bp.post("/batches/<int:batch_id>/photos")
@staff_required(*BODY_STAFF)
def photos_file(batch_id: int) -> Any:
    """The candidates' photos from a ZIP named by 证件号码: all stored, or none and every refused file named; a
    large ZIP in the background."""
    actor = current_actor()
    session = get_session()
    batch = registers.body_batch(session, batch_id=batch_id, actor=actor)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    form = PhotosForm(prefix="photos")
    if not form.validate_on_submit():
        return batch_page(batch_id, status=422, photos_form=form)
    upload = form.file.data
    data = upload.stream.read()
    limits = photo_limits(current_app)
    try:
        if len(data) > current_app.config["JOBS_PHOTOS_INLINE_BYTES"]:  # a large ZIP: in the background
            require_size(len(data), limits.max_bytes)
            return start_job(batch_id, lambda actor: job_service.queue_import(
                session, batch_id=batch_id, actor=actor, filename=upload.filename or "photos.zip", content=data,
                lang=select_language(), now=now(), kind="photos"))
        result = import_photos(session, batch_id=batch_id, actor=actor, data=data, now=now(), limits=limits)
    except PhotosRejected as err:
        return batch_page(batch_id, status=422, photos_form=form, photos_refused=err)
    except InvalidInput as err:  # the archive as a whole
        form.file.errors = [err.message(select_language())]
        return batch_page(batch_id, status=err.status, photos_form=form)
    flash(ngettext("已保存 %(count)s 张照片。", "已保存 %(count)s 张照片。", result.stored,
                   count=format_decimal(result.stored)))
    return redirect(url_for("console.batch", batch_id=batch_id, _anchor="candidates"))


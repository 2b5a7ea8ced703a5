"""API v1: candidates' photos, uploaded for a batch as a ZIP of images named by 证件号码, and read back one by one.

Authorisation as for the other batch endpoints: body staff reach only their own body's batches (another body's
is 404); assessors and body administrators upload while the batch is being prepared; whoever may read the batch
(its body's staff, the regulator) may read a photo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from registry import jobs
from registry.api import reader_language
from registry.api.auth import current_actor
from registry.api.jobs import accepted
from registry.config import REQUEST_OVERHEAD, upload_size
from registry.db import get_session
from registry.errors import InvalidInput
from registry.models import pk
from registry.runtime import photo_limits
from registry.schemas.common import ErrorSchema
from registry.schemas.jobs import JobSchema
from registry.services import batch_api
from registry.services.jobs import queue_import, reload
from registry.services.photo_import import PhotoLimits, PhotosRejected, candidate_photo, import_photos
from registry.services.zip_safety import require_size
from registry.uploads import allowed_upload

blp = Blueprint("photos", __name__, description="Candidates' photos: a ZIP of JPEG or PNG images named by 证件号码 "
                "(evaluation body staff; the regulator reads)")

JPEG = "image/jpeg"
MB = 1024 * 1024
DEFAULTS = PhotoLimits()
NOT_FOUND = "No such batch or candidate, or another body's"


class PhotoUploadSchema(Schema):
    file = Upload(required=True, metadata={
        "description": "a ZIP of .jpg, .jpeg or .png images, each named by its candidate's 证件号码 (folders allowed, "
                       f"__MACOSX/ and .DS_Store ignored); by default at most {DEFAULTS.max_bytes // MB} MB "
                       f"(REGISTRY_PHOTOS_MAX_BYTES), {DEFAULTS.max_entries:,} entries and "
                       f"{DEFAULTS.max_entry_bytes // MB} MB per image"})


class PhotoImportResultSchema(Schema):
    stored = fields.Integer(required=True, metadata={"description": "photos stored, replaced ones included"})
    replaced = fields.Integer(required=True, metadata={"description": "photos that replaced a candidate's earlier one"})
    ignored = fields.Integer(required=True, metadata={"description": "folders and system files passed over"})


@blp.before_request
def _declared_too_large() -> None:
    """A body declared larger than the photo ZIP's cap is refused before it is read, naming the limit (a body
    sent without a length is cut off at the cap by registry.uploads, with 413)."""
    if request.method != "POST" or request.endpoint != "photos.BatchPhotos":
        return
    limit = allowed_upload()
    if (request.content_length or 0) > limit + REQUEST_OVERHEAD:
        size = upload_size(limit)
        raise InvalidInput("file-too-large", f"文件超过 {size} 的上限。", f"The file is larger than the {size} limit.",
                           field="file")



@blp.route("/batches/<int:batch_id>/photos")
class BatchPhotos(MethodView):
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(201, PhotoImportResultSchema, example={"stored": 120, "replaced": 3, "ignored": 2})
    @blp.alt_response(202, schema=JobSchema, description="A ZIP larger than REGISTRY_JOBS_PHOTOS_INLINE_BYTES (10 MB "
                      "by default) is imported by a background job: the job, with `Location` to poll; refused "
                      "files are then in its `result.errors`")
    @blp.alt_response(401, schema=ErrorSchema, description="No, wrong or expired credentials")
    @blp.alt_response(403, schema=ErrorSchema, description="A read-only token, or a role that may not enter "
                      "candidates (the regulator included)")
    @blp.alt_response(404, schema=ErrorSchema, description="No such batch, or another body's")
    @blp.alt_response(409, schema=ErrorSchema, description="The batch is submitted or issued: no more changes; or "
                      "its candidates changed during the upload (`reason` photo-candidates-changed)")
    @blp.alt_response(413, schema=ErrorSchema, description="A body sent without a length that runs past the "
                      "largest photo ZIP allowed")
    @blp.alt_response(422, schema=ErrorSchema, description="The archive refused as a whole (`reason` names the rule: "
                      "file-too-large, file-empty, file-not-zip, zip-too-many-entries, zip-too-large-unzipped, "
                      "zip-entry-too-large, zip-compression-ratio, zip-encrypted, zip-unsafe-path, zip-no-photos), "
                      "or some of its files (`reason` photos-rejected): `errors` lists each by `file` with its "
                      "`reason` (photo-file-name, photo-id-unknown, photo-id-ambiguous, photo-duplicate, photo-type, "
                      "photo-not-image, photo-too-many-pixels, photo-too-small, photo-corrupt) and `message` (at "
                      "most 1000; `omitted` counts the rest); no photo is stored")
    def post(self, files: dict[str, Any], batch_id: int) -> Any:
        """Import candidates' photos from a ZIP of images named by 证件号码: all of them, or none if any is refused.

        Each photo is stored as printed (JPEG, 295 x 413 pixels, EXIF, GPS and colour profile removed) and
        replaces the candidate's earlier one.
        """
        actor = current_actor(write=True)
        upload = files["file"]
        limits = photo_limits(current_app)
        data = upload.stream.read(limits.max_bytes + 1)
        if len(data) > current_app.config["JOBS_PHOTOS_INLINE_BYTES"]:
            require_size(len(data), limits.max_bytes)  # refused now, not by a job
            session = get_session()
            batch_api.readable_batch(session, batch_id=batch_id, actor=actor)
            job, _ = queue_import(session, batch_id=batch_id, actor=actor, filename=upload.filename or "photos.zip",
                                  content=data, lang=reader_language(), now=datetime.now(UTC), kind="photos")
            jobs.send(current_app, job)
            return accepted(reload(session, pk(job)))
        try:
            result = import_photos(get_session(), batch_id=batch_id, actor=actor, data=data, now=datetime.now(UTC),
                                   limits=limits)
        except PhotosRejected as refused:
            lang = reader_language()
            answer = jsonify({
                "code": 422, "status": "Unprocessable Entity", "message": refused.message(lang),
                "reason": refused.reason, "field": "file", "omitted": refused.omitted,
                "errors": [{"file": e.name, "reason": e.reason,
                            "message": e.message_en if lang.startswith("en") else e.message_zh}
                           for e in refused.errors],
            })
            answer.status_code = 422
            return answer
        return {"stored": result.stored, "replaced": result.replaced, "ignored": result.ignored}, 201


@blp.route("/batches/<int:batch_id>/candidates/<int:candidate_id>/photo")
class CandidatePhotoFile(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=JPEG, description="The photo as "
                  "printed on the certificate: JPEG, 295 x 413 pixels, without metadata")
    @blp.alt_response(401, schema=ErrorSchema, description="No, wrong or expired credentials")
    @blp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND + "; or the candidate has no photo (`reason` "
                      "photo-not-found)")
    def get(self, batch_id: int, candidate_id: int) -> Response:
        """A candidate's photo, as it is printed on the certificate."""
        photo = candidate_photo(get_session(), batch_id=batch_id, candidate_id=candidate_id, actor=current_actor())
        return Response(photo.content, mimetype=JPEG, headers={
            "ETag": f'"{photo.sha256}"', "Content-Disposition": f'inline; filename="candidate-{candidate_id}.jpg"'})

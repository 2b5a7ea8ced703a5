"""Candidates' photos imported from a ZIP of JPEG or PNG images named by 证件号码, and a stored photo read back.

The archive is judged by its central directory before anything is decompressed (services/zip_safety.py); then
every entry is checked: its name matches one candidate of the batch, once; its content (not its extension) is a
JPEG or PNG image within the pixel limits that decodes. Only then is anything written, all photos or none, each
as certificates.pdf.prepare_photo made it: 295 x 413 pixels, re-encoded, EXIF, GPS and ICC metadata gone.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Self

from PIL import ExifTags, Image, UnidentifiedImageError
from sqlmodel import Session, col, select

from certificates import fold_id
from certificates.pdf import MAX_PHOTO_PIXELS, prepare_photo
from registry.errors import Conflict, InvalidInput, NotFound
from registry.models import Batch, Candidate, CandidatePhoto
from registry.services.actors import Actor, require_body_role
from registry.services.audit import record_event
from registry.services.batch_api import batch_candidate
from registry.services.batches import ENTRY_ROLES, get_batch, require_editable
from registry.services.registers import body_batch
from registry.services.zip_safety import (
    ArchiveRefused,
    ZipLimits,
    check_archive,
    member_name,
    open_archive,
    read_member,
    require_size,
)

MIN_SIZE = (100, 140)  # width x height in pixels: anything smaller prints as a blur in the 25 x 35 mm box
MAX_PIXELS = MAX_PHOTO_PIXELS  # what prepare_photo decodes, below Pillow's own decompression-bomb limit
MAX_ERRORS = 1000  # refused entries named in the answer; the rest are only counted
WRITE_CHUNK = 200
SPOOL_BYTES = 16 * 1024 * 1024  # prepared photos kept in memory up to this, then on disk


@dataclass(frozen=True)
class PhotoLimits:
    """What one ZIP may hold: the REGISTRY_PHOTOS_* settings (registry/config.py), whose defaults these are."""

    max_bytes: int = 200 * 1024 * 1024  # the ZIP as uploaded
    max_unzipped_bytes: int = 256 * 1024 * 1024  # all entries together, once unzipped
    max_entries: int = 20_000  # entries in the central directory, folders and junk included
    max_entry_bytes: int = 20 * 1024 * 1024  # one image, unzipped
    max_ratio: int = 100  # JPEG and PNG hardly compress again; a zip bomb shrinks a thousandfold
    ratio_floor: int = 1024 * 1024  # entries smaller than this unzipped are harmless whatever their ratio

    def archive(self) -> ZipLimits:
        return ZipLimits(max_entries=self.max_entries, max_total_bytes=self.max_unzipped_bytes,
                         max_entry_bytes=self.max_entry_bytes, max_ratio=self.max_ratio, ratio_floor=self.ratio_floor)


EXTENSIONS = ("jpg", "jpeg", "png")
_JUNK = {"thumbs.db", "desktop.ini"}  # what Windows leaves in folders; macOS's start with a dot
_ACCEPTED = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
# Formats people send by mistake (a phone's HEIC, a scan as PDF), named so the refusal says what to convert.
_OTHERS = ((0, b"GIF8", "GIF"), (0, b"%PDF", "PDF"), (0, b"II*\0", "TIFF"), (0, b"MM\0*", "TIFF"),
           (8, b"WEBP", "WebP"), (4, b"ftypheic", "HEIC"), (4, b"ftypheix", "HEIC"), (4, b"ftypmif1", "HEIF"),
           (4, b"ftypavif", "AVIF"))
_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height


@dataclass(frozen=True)
class EntryError:
    """One refused entry of the archive: its path in the ZIP and the rule it breaks."""

    name: str
    reason: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        return f"{self.name}: {self.message_en}" if lang.startswith("en") else f"{self.name}：{self.message_zh}"


class PhotosRejected(InvalidInput):
    """Some entries were refused, so no photo was stored; `errors` names each (the first MAX_ERRORS of them,
    `omitted` counts the rest)."""

    def __init__(self, errors: list[EntryError], omitted: int = 0) -> None:
        total = len(errors) + omitted
        super().__init__(
            "photos-rejected",
            f"压缩包中有 {total} 个文件不符合要求，未保存任何照片。请改正后重新上传。",
            f"{total} file(s) in the archive were refused; no photo was stored. Correct them and upload again.",
            field="file",
        )
        self.errors = errors
        self.omitted = omitted


@dataclass(frozen=True)
class PhotoImportResult:
    stored: int  # photos stored, the replaced ones included
    replaced: int  # of those, photos that replaced a candidate's earlier one
    ignored: int  # folders and system files (__MACOSX/, .DS_Store, Thumbs.db) passed over


class _Refused(Exception):
    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__(reason)
        self.reason, self.zh, self.en = reason, zh, en


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    name: str
    candidate_id: int
    number: str


def import_photos(session: Session, *, batch_id: int, actor: Actor, data: bytes, now: datetime,
                  limits: PhotoLimits | None = None) -> PhotoImportResult:
    """Store a photo for each candidate named in the ZIP, replacing earlier ones: every entry is checked first,
    and one refused entry (PhotosRejected names each) or a hostile archive (ArchiveRefused) stores nothing."""
    limits = limits or PhotoLimits()
    _editable_batch(session, batch_id, actor)
    require_size(len(data), limits.max_bytes)
    with open_archive(io.BytesIO(data)) as archive:
        photos, junk = _photo_entries(check_archive(archive, size=len(data), limits=limits.archive()))
        if not photos:
            raise ArchiveRefused("zip-no-photos", "压缩包中没有照片（应为以证件号码命名的 .jpg、.jpeg 或 .png 文件）。",
                                 "The archive holds no photo (files named by ID number, .jpg, .jpeg or .png).")
        numbers = _candidates_by_number(session, batch_id)
        # Decoding thousands of images takes a while: end the reading transaction first, so that neither
        # SQLite's write lock (taken when a transaction begins) nor a PostgreSQL snapshot is held meanwhile.
        session.commit()
        entries, errors = _match_names(photos, numbers)
        with _Spool() as prepared:
            errors += _prepare_all(archive, entries, prepared, room=MAX_ERRORS - len(errors))
            if errors:
                raise PhotosRejected(errors[:MAX_ERRORS], max(0, len(errors) - MAX_ERRORS))
            stored, replaced = _store(session, batch_id, prepared, now=now)
    record_event(session, actor=actor, action="batch.photos-imported", object_type="batch", object_id=batch_id,
                 now=now, after={"stored": stored, "replaced": replaced, "ignored": junk})
    session.commit()
    return PhotoImportResult(stored=stored, replaced=replaced, ignored=junk)


def candidate_photo(session: Session, *, batch_id: int, candidate_id: int, actor: Actor) -> CandidatePhoto:
    """A candidate's stored photo, for whoever may read the batch; NotFound when there is none."""
    batch_candidate(session, batch_id=batch_id, candidate_id=candidate_id, actor=actor)
    photo = session.get(CandidatePhoto, candidate_id)
    if photo is None:
        raise NotFound("photo-not-found", "该考生还没有照片。", "This candidate has no photo yet.",
                       field="candidate_id")
    return photo


def _editable_batch(session: Session, batch_id: int, actor: Actor) -> Batch:
    """The rules of every change to a batch's candidates, before the upload is even opened."""
    if actor.body_id is not None:
        body_batch(session, batch_id=batch_id, actor=actor)  # another body's batch: not found
    batch = get_batch(session, batch_id)
    require_body_role(actor, batch.body_id, *ENTRY_ROLES)
    require_editable(batch)
    return batch


def _candidates_by_number(session: Session, batch_id: int) -> dict[str, list[int]]:
    """Candidate ids by ID number: two 证件 of different types may share a number, hence a list."""
    found: dict[str, list[int]] = defaultdict(list)
    rows = session.exec(select(col(Candidate.id), col(Candidate.id_number)).where(Candidate.batch_id == batch_id)
                        .order_by(col(Candidate.id)))
    for candidate_id, number in rows:
        if candidate_id is not None:  # always, for a stored row
            found[number].append(candidate_id)
    return dict(found)


# --- names --------------------------------------------------------------------------------------------------


def _photo_entries(infos: list[zipfile.ZipInfo]) -> tuple[list[tuple[zipfile.ZipInfo, str]], int]:
    """The entries meant as photos, with their names, and how many folders and system files were passed over."""
    photos = []
    for info in infos:
        name = member_name(info)
        parts = name.replace("\\", "/").split("/")
        base = parts[-1]
        if info.is_dir() or not base or "__MACOSX" in parts or base.startswith(".") or base.lower() in _JUNK:
            continue
        photos.append((info, name))
    return photos, len(infos) - len(photos)


def _match_names(photos: list[tuple[zipfile.ZipInfo, str]],
                 numbers: dict[str, list[int]]) -> tuple[list[_Entry], list[EntryError]]:
    """Each file name (its folder does not count) read as an ID number folded as candidates' are, matched to
    one candidate of the batch, once."""
    entries: list[_Entry] = []
    errors: list[EntryError] = []
    taken: dict[int, str] = {}
    for info, name in photos:
        stem, dot, extension = name.replace("\\", "/").rsplit("/", 1)[-1].rpartition(".")
        number = fold_id(stem)
        found = numbers.get(number, [])
        if not (dot and stem and extension.lower() in EXTENSIONS):
            errors.append(EntryError(name, "photo-file-name", "文件名应为“证件号码.jpg”（或 .jpeg、.png）",
                                     "the file name must be the ID number with .jpg, .jpeg or .png"))
        elif not found:
            errors.append(EntryError(name, "photo-id-unknown", f"本批次没有证件号码为 {number} 的考生",
                                     f"no candidate in this batch has the ID number {number}"))
        elif len(found) > 1:
            errors.append(EntryError(name, "photo-id-ambiguous",
                                     f"本批次有 {len(found)} 名考生的证件号码都是 {number}（证件类型不同），"
                                     "无法确定是谁的照片",
                                     f"{len(found)} candidates of this batch have the ID number {number} (different "
                                     "ID types): whose photo it is cannot be told"))
        elif found[0] in taken:
            other = taken[found[0]]
            errors.append(EntryError(name, "photo-duplicate", f"与 {other} 是同一名考生的照片，每名考生只能有一张",
                                     f"a photo of the same candidate as {other}: one photo per candidate"))
        else:
            taken[found[0]] = name
            entries.append(_Entry(info, name, found[0], number))
    return entries, errors


# --- images -------------------------------------------------------------------------------------------------


def _prepare_all(archive: zipfile.ZipFile, entries: list[_Entry], prepared: _Spool, *, room: int) -> list[EntryError]:
    """Every entry read, checked and prepared for print, one at a time; stops once `room` entries are refused."""
    errors: list[EntryError] = []
    for entry in entries:
        if len(errors) >= room:
            break
        try:
            prepared.add(entry, _prepared_photo(archive, entry.info))
        except _Refused as refused:
            errors.append(EntryError(entry.name, refused.reason, refused.zh, refused.en))
    return errors


def _prepared_photo(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        data = read_member(archive, info)
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as err:
        raise _corrupt("压缩包中的这个文件已损坏，无法解压",
                       "the file is damaged in the archive and cannot be unzipped") from err
    kind = _image_kind(data)
    width, height = _dimensions(data, kind)
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(f"（{width}×{height}）", f" ({width}x{height})")
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise _Refused("photo-too-small",
                       f"图像太小（{width}×{height} 像素），打印至少需要 {MIN_SIZE[0]}×{MIN_SIZE[1]} 像素（宽×高）",
                       f"the image is too small ({width}x{height} pixels): printing needs at least "
                       f"{MIN_SIZE[0]}x{MIN_SIZE[1]} (width x height)")
    try:
        photo = prepare_photo(data)
        with Image.open(io.BytesIO(photo), formats=("JPEG",)) as check:
            check.load()  # prepare_photo passes an already prepared JPEG through without decoding it
    except Exception as err:  # noqa: BLE001  (whatever a damaged image makes a decoder raise)
        raise _corrupt("图像已损坏，无法解码", "the image is damaged and cannot be decoded") from err
    return photo


def _image_kind(data: bytes) -> str:
    """JPEG or PNG by the file's first bytes, whatever its name says."""
    for magic, kind in _ACCEPTED.items():
        if data.startswith(magic):
            return kind
    for offset, magic, other in _OTHERS:
        if data[offset:offset + len(magic)] == magic:
            raise _Refused("photo-type", f"内容是 {other} 格式，只接受 JPEG 或 PNG 图像，请转换后上传",
                           f"its content is {other}: only JPEG or PNG images are accepted, convert it first")
    raise _Refused("photo-not-image", "内容不是图像（按文件内容而非扩展名判断），只接受 JPEG 或 PNG",
                   "its content is not an image (judged by content, not by extension): only JPEG or PNG")


def _dimensions(data: bytes, kind: str) -> tuple[int, int]:
    """Width and height as displayed, read from the header alone: nothing is decoded yet."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=(kind,)) as image:
                width, height = image.size
                # A JPEG's EXIF is in its header; a PNG's may follow the pixels, and reading it decodes them.
                if kind == "JPEG" and image.getexif().get(ExifTags.Base.Orientation) in _ROTATED:
                    width, height = height, width
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise _too_many_pixels("", "") from err
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
            raise _corrupt("图像已损坏，无法读取", "the image is damaged and cannot be read") from err
    return width, height


def _too_many_pixels(size_zh: str, size_en: str) -> _Refused:
    return _Refused("photo-too-many-pixels", f"图像像素过多{size_zh}，上限 {MAX_PIXELS:,} 像素（疑似解压炸弹）",
                    f"the image has too many pixels{size_en}: at most {MAX_PIXELS:,} (a decompression bomb?)")


def _corrupt(zh: str, en: str) -> _Refused:
    return _Refused("photo-corrupt", zh, en)


class _Spool:
    """Prepared photos until they are stored: in memory up to SPOOL_BYTES, then in a temporary file, as 20,000
    of them would otherwise hold half a gigabyte."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (closed by __exit__)
        self._spans: list[tuple[_Entry, int, int]] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._file.close()

    def add(self, entry: _Entry, photo: bytes) -> None:
        offset = self._file.seek(0, io.SEEK_END)
        self._file.write(photo)
        self._spans.append((entry, offset, len(photo)))

    @property
    def entries(self) -> list[_Entry]:
        return [entry for entry, _, _ in self._spans]

    def __iter__(self) -> Iterator[tuple[_Entry, bytes]]:
        for entry, offset, length in self._spans:
            self._file.seek(offset)
            yield entry, self._file.read(length)


# --- writing ------------------------------------------------------------------------------------------------


def _store(session: Session, batch_id: int, prepared: _Spool, *, now: datetime) -> tuple[int, int]:
    """Insert or replace the photos in chunks, with the batch locked and checked again: it may have been
    submitted, or a candidate removed or renumbered, while the images were being checked."""
    batch = get_batch(session, batch_id, for_update=True)
    require_editable(batch)
    numbers = _candidates_by_number(session, batch_id)
    if any(numbers.get(entry.number) != [entry.candidate_id] for entry in prepared.entries):
        raise Conflict("photo-candidates-changed", "上传期间本批次的考生名单有变动，请重新上传照片。",
                       "The batch's candidates changed while the photos were being checked: upload them again.",
                       field="candidates")
    stored = replaced = 0
    photos = iter(prepared)
    while chunk := list(islice(photos, WRITE_CHUNK)):
        ids = [entry.candidate_id for entry, _ in chunk]
        kept = {p.candidate_id: p for p in session.exec(
            select(CandidatePhoto).where(col(CandidatePhoto.candidate_id).in_(ids)))}
        for entry, photo in chunk:
            digest = hashlib.sha256(photo).hexdigest()
            earlier = kept.get(entry.candidate_id)
            if earlier is None:
                session.add(CandidatePhoto(candidate_id=entry.candidate_id, content=photo, sha256=digest,
                                           created_at=now))
            else:
                earlier.content, earlier.sha256, earlier.created_at = photo, digest, now
                replaced += 1
            stored += 1
        session.flush()
    return stored, replaced

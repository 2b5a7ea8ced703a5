"""Photo import: a ZIP of JPEG or PNG images named by 证件号码, checked, resized, re-encoded and stripped of metadata,
all or nothing; hostile archives and images refused by rule before anything is decompressed or decoded; the
stored photo printed on the holder's certificate."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import zipfile
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms
from pypdf import PdfReader
from sqlmodel import Session, col, select

from registry.errors import Conflict, Forbidden, NotFound
from registry.models import AuditEvent, Batch, Body, Candidate, CandidatePhoto
from registry.services import batches as batch_service
from registry.services import issuance, photo_import
from registry.services.actors import Actor
from registry.services.documents import DocumentSettings, render_unsigned
from registry.services.photo_import import PhotosRejected, candidate_photo, import_photos
from registry.services.zip_safety import ArchiveRefused, read_member
from tests import factories

# --- test files: images and archives -------------------------------------------------------------------------


def jpeg(size: tuple[int, int] = (600, 800), *, color=(40, 90, 160), exif: bool = False) -> bytes:
    """A JPEG; with `exif`, a camera's EXIF with GPS position and an ICC colour profile, as phones write."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    extra = {}
    if exif:
        data = Image.Exif()
        data[ExifTags.Base.Make] = "PhotoLeakCam"
        data[ExifTags.Base.Orientation] = 1
        gps = data.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 17.0)
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        extra = {"exif": data.tobytes(), "icc_profile": icc}
    image.save(out, "JPEG", quality=90, **extra)
    return out.getvalue()


def png_with_alpha(size: tuple[int, int] = (300, 420)) -> bytes:
    """A cut-out portrait: a transparent background around an opaque figure."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1]))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels: a decompression bomb's calling card."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
            + chunk(b"IEND", b""))


def make_zip(files: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def zeros_zip(name: str, megabytes: int, *, padding: int = 0) -> bytes:
    """`megabytes` of zeros deflated to a thousandth of that, written a megabyte at a time; `padding` bytes of
    noise beside them keep the archive as a whole plausibly compressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w") as member:
            for _ in range(megabytes):
                member.write(bytes(1024 * 1024))
        if padding:
            archive.writestr("noise.jpg", os.urandom(padding))
    return out.getvalue()


def patch_central_directory(data: bytes, *, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of the (first) central directory header, as a forger would."""
    at = data.index(b"PK\x01\x02") + offset
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt):]


# --- fixtures ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Entry:
    batch: Batch
    assessor: Actor
    numbers: list[str]  # the candidates' ID numbers, in order
    ids: list[int]  # their candidate ids


@pytest.fixture
def entry(session: Session) -> Entry:
    factories.publish_catalogue(session)
    filed = factories.body(session)
    assessor = factories.staff(session, filed, "assessor")
    batch = factories.open_batch(session, filed, assessor)
    added = batch_service.add_candidates(session, batch_id=batch.id, candidates=factories.candidate_inputs(3),
                                         actor=assessor, now=factories.NOW)
    return Entry(batch, assessor, [c.id_number for c in added], [c.id for c in added])


def _import(session: Session, entry: Entry, data: bytes,
            limits: photo_import.PhotoLimits | None = None) -> photo_import.PhotoImportResult:
    return import_photos(session, batch_id=entry.batch.id, actor=entry.assessor, data=data, now=factories.NOW,
                         limits=limits)


def _photos(session: Session, entry: Entry) -> dict[int, CandidatePhoto]:
    session.expire_all()
    rows = session.exec(select(CandidatePhoto).where(col(CandidatePhoto.candidate_id).in_(entry.ids))).all()
    return {row.candidate_id: row for row in rows}


def _rejected(session: Session, entry: Entry, files: dict[str, bytes]) -> dict[str, str]:
    """The refused entries (name: reason) of an import that must store nothing."""
    with pytest.raises(PhotosRejected) as refused:
        _import(session, entry, make_zip(files))
    assert refused.value.status == 422 and refused.value.field == "file"
    assert _photos(session, entry) == {}
    return {error.name: error.reason for error in refused.value.errors}


def _refused(session: Session, entry: Entry, data: bytes, monkeypatch: pytest.MonkeyPatch,
             limits: photo_import.PhotoLimits | None = None) -> ArchiveRefused:
    """An archive refused as a whole, from its central directory: no member is ever opened."""
    def no_extraction(*_args, **_kwargs):
        raise AssertionError("a member was decompressed before the archive was judged")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_extraction)
    with pytest.raises(ArchiveRefused) as refused:
        _import(session, entry, data, limits)
    monkeypatch.undo()
    assert refused.value.field == "file"
    assert _photos(session, entry) == {}
    return refused.value


# --- what is stored ------------------------------------------------------------------------------------------


def test_photos_are_resized_re_encoded_and_stripped_of_exif_gps_and_icc(session, entry):
    original = jpeg((1200, 1600), exif=True)
    assert b"PhotoLeakCam" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    result = _import(session, entry, make_zip({f"{entry.numbers[0]}.jpg": original,
                                               f"照片/第二组/{entry.numbers[1]}.PNG": png_with_alpha()}))
    assert (result.stored, result.replaced, result.ignored) == (2, 0, 0)
    photos = _photos(session, entry)
    assert set(photos) == set(entry.ids[:2])
    for photo in photos.values():
        image = Image.open(io.BytesIO(photo.content))
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (295, 413))
        assert not image.getexif() and "icc_profile" not in image.info and "exif" not in image.info
        assert b"PhotoLeakCam" not in photo.content and b"Exif" not in photo.content
        assert photo.created_at == factories.NOW
    cut_out = Image.open(io.BytesIO(photos[entry.ids[1]].content)).convert("RGB")
    assert min(cut_out.getpixel((3, 3))) > 240, "a transparent background becomes white, not black"


def test_names_fold_like_id_numbers_and_junk_and_folders_are_passed_over(session, entry):
    lower_x = next((n for n in entry.numbers if n.endswith("X")), None)
    number = lower_x or entry.numbers[0]
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())  # as a Chinese input method types it
    files = {f"{full_width}.JpEg": jpeg(), "__MACOSX/._x.jpg": b"\0\5\26\7", ".DS_Store": b"Bud1",
             "照片/Thumbs.db": b"junk", "照片/": b""}
    result = _import(session, entry, make_zip(files))
    assert (result.stored, result.ignored) == (1, 4)
    assert set(_photos(session, entry)) == {entry.ids[entry.numbers.index(number)]}


def test_a_re_upload_replaces_the_photo(session, entry):
    name = f"{entry.numbers[0]}.jpg"
    _import(session, entry, make_zip({name: jpeg(color=(10, 10, 10))}))
    first = _photos(session, entry)[entry.ids[0]].sha256
    result = _import(session, entry, make_zip({name: jpeg(color=(250, 250, 250)),
                                               f"{entry.numbers[1]}.jpg": jpeg()}))
    assert (result.stored, result.replaced) == (2, 1)
    assert _photos(session, entry)[entry.ids[0]].sha256 != first


def test_the_import_is_audited_with_counts_only(session, entry):
    _import(session, entry, make_zip({f"{n}.jpg": jpeg() for n in entry.numbers} | {".DS_Store": b"x"}))
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "batch.photos-imported")).one()
    assert (event.object_type, event.object_id, event.actor) == ("batch", str(entry.batch.id), entry.assessor.label)
    assert event.after == {"stored": 3, "replaced": 0, "ignored": 1}
    assert not any(n in repr(event.after) for n in entry.numbers)


def test_a_photo_is_read_back_by_whoever_reads_the_batch(session, entry):
    _import(session, entry, make_zip({f"{entry.numbers[0]}.jpg": jpeg()}))
    photo = candidate_photo(session, batch_id=entry.batch.id, candidate_id=entry.ids[0], actor=entry.assessor)
    assert photo.content.startswith(b"\xff\xd8\xff")
    assert candidate_photo(session, batch_id=entry.batch.id, candidate_id=entry.ids[0],
                           actor=factories.regulator(session)) == photo
    with pytest.raises(NotFound) as missing:
        candidate_photo(session, batch_id=entry.batch.id, candidate_id=entry.ids[1], actor=entry.assessor)
    assert missing.value.reason == "photo-not-found"


# --- entries refused, nothing stored -------------------------------------------------------------------------


def test_a_text_file_renamed_jpg_is_refused_by_content_naming_the_file(session, entry):
    name = f"考生/{entry.numbers[1]}.jpg"
    errors = _rejected(session, entry, {f"{entry.numbers[0]}.jpg": jpeg(), name: "这不是照片 not a photo".encode()})
    assert errors == {name: "photo-not-image"}


def test_every_bad_entry_is_named_with_its_rule_and_nothing_is_written(session, entry):
    good = jpeg()
    truncated = good[: len(good) // 2]
    heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64)
    files = {
        f"{entry.numbers[0]}.jpg": good,
        "11010519491231002X.jpg": good,  # a valid ID number, but nobody in this batch
        f"{entry.numbers[1]}.jpg": truncated,
        f"dup/{entry.numbers[2]}.png": png_with_alpha(),
        f"{entry.numbers[2].lower()}.jpeg": good,
        "名单.xlsx": b"PK\3\4",
        f"again/{entry.numbers[0]}.jpg": heic,
    }
    with pytest.raises(PhotosRejected) as refused:
        _import(session, entry, make_zip(files))
    errors = {e.name: e.reason for e in refused.value.errors}
    assert errors == {"11010519491231002X.jpg": "photo-id-unknown", f"{entry.numbers[1]}.jpg": "photo-corrupt",
                      f"{entry.numbers[2].lower()}.jpeg": "photo-duplicate", "名单.xlsx": "photo-file-name",
                      f"again/{entry.numbers[0]}.jpg": "photo-duplicate"}
    assert _photos(session, entry) == {}
    assert "5 个文件" in refused.value.message_zh and "5 file(s)" in refused.value.message_en
    duplicate = next(e for e in refused.value.errors if e.name == f"{entry.numbers[2].lower()}.jpeg")
    assert f"dup/{entry.numbers[2]}.png" in duplicate.message("zh") and duplicate.message("en").startswith(
        f"{entry.numbers[2].lower()}.jpeg: a photo of the same candidate as dup/")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "batch.photos-imported")).first() is None


def test_names_from_chinese_windows_zip_tools_are_read_as_gbk(session, entry):
    """Such tools store GBK names without the UTF-8 flag; a refusal names the file as its author sees it."""
    def gbk_zip(files: dict[str, bytes]) -> bytes:  # "照片" takes 4 bytes in GBK, as "abcd" does in ASCII
        return make_zip(files).replace(b"abcd", "照片".encode("gbk"))

    with pytest.raises(PhotosRejected) as refused:
        _import(session, entry, gbk_zip({f"abcd/{entry.numbers[0]}.jpg": jpeg(),
                                         "abcd/11010519491231002X.jpg": jpeg()}))
    assert [e.name for e in refused.value.errors] == ["照片/11010519491231002X.jpg"]
    assert _import(session, entry, gbk_zip({f"abcd/{entry.numbers[0]}.jpg": jpeg()})).stored == 1


def test_other_image_formats_are_named_in_the_refusal(session, entry):
    heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64)
    gif = io.BytesIO()
    Image.new("RGB", (200, 300)).save(gif, "GIF")
    with pytest.raises(PhotosRejected) as refused:
        _import(session, entry, make_zip({f"{entry.numbers[0]}.jpg": heic, f"{entry.numbers[1]}.png": gif.getvalue()}))
    assert [e.reason for e in refused.value.errors] == ["photo-type", "photo-type"]
    assert "HEIC" in refused.value.errors[0].message_zh and "GIF" in refused.value.errors[1].message_en


def test_a_decompression_bomb_png_is_refused_from_its_header(session, entry):
    bomb = png_header_only(30_000, 30_000)  # 900 million pixels declared in a file of a few hundred bytes
    over_ours = png_header_only(8_000, 7_000)  # 56 million: under Pillow's limit, over the photo's
    assert len(bomb) < 2000
    errors = _rejected(session, entry, {f"{entry.numbers[0]}.png": bomb, f"{entry.numbers[1]}.png": over_ours})
    assert errors == {f"{entry.numbers[0]}.png": "photo-too-many-pixels",
                      f"{entry.numbers[1]}.png": "photo-too-many-pixels"}


def test_an_image_too_small_to_print_is_refused(session, entry):
    errors = _rejected(session, entry, {f"{entry.numbers[0]}.jpg": jpeg((99, 400)),
                                        f"{entry.numbers[1]}.jpg": jpeg((400, 139)),
                                        f"{entry.numbers[2]}.jpg": jpeg((100, 140))})
    assert errors == {f"{entry.numbers[0]}.jpg": "photo-too-small", f"{entry.numbers[1]}.jpg": "photo-too-small"}


def test_refusals_are_capped_and_counted(session, entry, monkeypatch):
    monkeypatch.setattr(photo_import, "MAX_ERRORS", 2)
    with pytest.raises(PhotosRejected) as refused:
        _import(session, entry, make_zip({f"unknown{i}.jpg": jpeg((10, 10)) for i in range(5)}))
    assert len(refused.value.errors) == 2 and refused.value.omitted == 3


def test_a_header_that_understates_a_size_is_caught_by_the_capped_reader(session, entry):
    data = make_zip({f"{entry.numbers[0]}.jpg": jpeg()})
    forged = patch_central_directory(data, offset=24, fmt="<I", value=1000)  # the uncompressed size
    with zipfile.ZipFile(io.BytesIO(forged)) as archive:
        [info] = archive.infolist()
        assert info.file_size == 1000
        with pytest.raises(zipfile.BadZipFile):
            read_member(archive, info)
    with pytest.raises(PhotosRejected) as refused:
        _import(session, entry, forged)
    errors = {e.name: e.reason for e in refused.value.errors}
    assert errors == {f"{entry.numbers[0]}.jpg": "photo-corrupt"}


# --- hostile archives, refused as a whole before anything is decompressed ------------------------------------


def test_a_zip_bomb_is_refused_from_the_central_directory(session, entry, monkeypatch):
    name = f"{entry.numbers[0]}.jpg"
    bomb = zeros_zip(name, 100)  # 100 MB of zeros in about 100 KB
    assert len(bomb) < 200 * 1024
    assert _refused(session, entry, bomb, monkeypatch).reason == "zip-too-large-unzipped"
    ratio = zeros_zip(name, 10, padding=200 * 1024)  # within the size of one image, but shrunk a thousandfold
    refused = _refused(session, entry, ratio, monkeypatch)
    assert refused.reason == "zip-compression-ratio" and name in refused.message_zh
    large = make_zip({name: os.urandom(21 * 1024 * 1024)}, method=zipfile.ZIP_STORED)  # no bomb, just too big
    assert _refused(session, entry, large, monkeypatch).reason == "zip-entry-too-large"


def test_many_small_well_compressed_entries_are_a_bomb_as_a_whole(session, entry, monkeypatch):
    limits = photo_import.PhotoLimits(ratio_floor=64 * 1024)
    many = make_zip({f"{i}.jpg": bytes(60 * 1024) for i in range(40)})  # each under the floor, 2.4 MB in all
    assert _refused(session, entry, many, monkeypatch, limits).reason == "zip-too-large-unzipped"


def test_too_many_entries_or_too_large_a_file_are_refused(session, entry, monkeypatch):
    crowded = make_zip({f"{i}.jpg": b"x" for i in range(4)})
    few = photo_import.PhotoLimits(max_entries=3)
    assert _refused(session, entry, crowded, monkeypatch, few).reason == "zip-too-many-entries"
    small = photo_import.PhotoLimits(max_bytes=100)
    assert _refused(session, entry, make_zip({"a.jpg": jpeg()}), monkeypatch, small).reason == "file-too-large"
    assert _refused(session, entry, b"", monkeypatch).reason == "file-empty"


@pytest.mark.parametrize("name", ["../{n}.jpg", "photos/../../{n}.jpg", "/etc/{n}.jpg", "C:/Users/{n}.jpg",
                                  "..\\{n}.jpg"])
def test_path_tricks_are_refused(session, entry, monkeypatch, name):
    data = make_zip({name.format(n=entry.numbers[0]): jpeg()})
    assert _refused(session, entry, data, monkeypatch).reason == "zip-unsafe-path"


def test_encrypted_entries_and_non_zips_are_refused(session, entry, monkeypatch):
    data = make_zip({f"{entry.numbers[0]}.jpg": jpeg()})
    flags = struct.unpack_from("<H", data, data.index(b"PK\x01\x02") + 8)[0]
    encrypted = patch_central_directory(data, offset=8, fmt="<H", value=flags | 0x1)
    assert _refused(session, entry, encrypted, monkeypatch).reason == "zip-encrypted"
    assert _refused(session, entry, jpeg(), monkeypatch).reason == "file-not-zip"
    junk_only = make_zip({"__MACOSX/._a.jpg": b"x", "notes/": b""})
    assert _refused(session, entry, junk_only, monkeypatch).reason == "zip-no-photos"


# --- who may, and when ---------------------------------------------------------------------------------------


def test_a_submitted_batch_another_bodys_batch_and_the_regulator_are_refused(session, entry):
    data = make_zip({f"{entry.numbers[0]}.jpg": jpeg()})
    other = factories.staff(session, factories.body(session), "assessor")
    with pytest.raises(NotFound):
        import_photos(session, batch_id=entry.batch.id, actor=other, data=data, now=factories.NOW)
    with pytest.raises(Forbidden):
        import_photos(session, batch_id=entry.batch.id, actor=factories.regulator(session), data=data,
                      now=factories.NOW)
    supervisor = factories.staff(session, session.get(Body, entry.batch.body_id), "supervisor")
    with pytest.raises(Forbidden) as role:
        import_photos(session, batch_id=entry.batch.id, actor=supervisor, data=data, now=factories.NOW)
    assert role.value.reason == "role-required"
    batch_service.submit_batch(session, batch_id=entry.batch.id, actor=entry.assessor, now=factories.NOW)
    with pytest.raises(Conflict) as submitted:
        _import(session, entry, data)
    assert submitted.value.reason == "batch-not-editable"
    assert _photos(session, entry) == {}


def test_a_change_to_the_batch_while_the_images_are_checked_stores_nothing(session, entry, monkeypatch):
    """The batch is not locked while images are decoded: what changed meanwhile is found when it is locked."""
    checks = photo_import._prepare_all

    def removing_a_candidate_meanwhile(*args, **kwargs):
        batch_service.remove_candidate(session, candidate_id=entry.ids[1], actor=entry.assessor, now=factories.NOW)
        return checks(*args, **kwargs)

    monkeypatch.setattr(photo_import, "_prepare_all", removing_a_candidate_meanwhile)
    with pytest.raises(Conflict) as changed:
        _import(session, entry, make_zip({f"{entry.numbers[0]}.jpg": jpeg(), f"{entry.numbers[1]}.jpg": jpeg()}))
    assert changed.value.reason == "photo-candidates-changed"
    assert _photos(session, entry) == {}


def test_a_candidate_removed_takes_its_photo_along(session, entry):
    _import(session, entry, make_zip({f"{entry.numbers[0]}.jpg": jpeg()}))
    batch_service.remove_candidate(session, candidate_id=entry.ids[0], actor=entry.assessor, now=factories.NOW)
    assert _photos(session, entry) == {}
    assert session.get(Candidate, entry.ids[0]) is None


# --- the certificate ----------------------------------------------------------------------------------------


def _images(pdf: bytes) -> list[tuple[int, int]]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    sizes = []
    for ref in xobjects.values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Image":
            sizes.append((int(xobject["/Width"]), int(xobject["/Height"])))
    return sizes


def test_the_certificate_of_a_candidate_with_a_photo_prints_it(session, entry):
    _import(session, entry, make_zip({f"{entry.numbers[0]}.jpg": jpeg(exif=True)}))
    batch_service.submit_batch(session, batch_id=entry.batch.id, actor=entry.assessor, now=factories.NOW)
    supervisor = factories.staff(session, session.get(Body, entry.batch.body_id), "supervisor")
    certificates = issuance.approve_batch(session, batch_id=entry.batch.id, approved_by=supervisor,
                                          vault=factories.VAULT, now=factories.NOW)
    by_candidate = {cert.candidate_id: cert for cert in certificates}
    settings = DocumentSettings(base_url="https://zscx.example.cn")
    with_photo = render_unsigned(by_candidate[entry.ids[0]], settings)
    assert _images(with_photo) == [(295, 413)]
    assert b"PhotoLeakCam" not in with_photo
    assert _images(render_unsigned(by_candidate[entry.ids[1]], settings)) == [], "no photo: the placeholder"

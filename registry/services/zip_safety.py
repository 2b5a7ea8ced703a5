"""Uploaded ZIP archives (a photo ZIP, an XLSX workbook) judged by their central directory before any member is
decompressed, and members read with a cap: zip bombs, too many or too large members, encryption and path tricks
are refused without extracting anything."""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from typing import IO

from registry.config import upload_size
from registry.errors import InvalidInput

_UTF8_NAME = 0x800  # general purpose flag bit 11: the member's name is UTF-8
_ENCRYPTED = 0x1 | 0x40  # traditional and strong encryption


class ArchiveRefused(InvalidInput):
    """An uploaded archive refused as a whole, before any member was decompressed; `reason` names the rule."""

    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__(reason, zh, en, field="file")


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int
    max_total_bytes: int  # all members together, uncompressed
    max_entry_bytes: int  # any one member, uncompressed
    max_ratio: int  # uncompressed / compressed, for one member and for the archive as a whole
    ratio_floor: int  # a member (or archive) smaller than this unzipped is not held to the ratio


# The rules a zip bomb breaks, whatever the archive is for.
BOMB_RULES = frozenset({"zip-too-many-entries", "zip-too-large-unzipped", "zip-entry-too-large",
                        "zip-compression-ratio"})


def require_size(size: int, limit: int) -> None:
    """The uploaded file itself: not empty, not over the limit."""
    if size > limit:
        raise ArchiveRefused("file-too-large", f"文件超过 {upload_size(limit)} 的上限。",
                             f"The file is larger than the {upload_size(limit)} limit.")
    if size == 0:
        raise ArchiveRefused("file-empty", "文件是空的。", "The file is empty.")


def open_archive(stream: IO[bytes]) -> zipfile.ZipFile:
    """The archive's central directory; nothing is decompressed yet."""
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as err:
        raise ArchiveRefused("file-not-zip", "该文件不是有效的 ZIP 压缩包。",
                             "The file is not a valid ZIP archive.") from err


def check_archive(archive: zipfile.ZipFile, *, size: int, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """Every member, once the declared sizes, ratios, encryption and names are within the rules.

    The sizes are what the central directory claims: read_member holds a member to its claim. The ratio of the
    whole is taken against the archive's real size, so members sharing (overlapping) compressed data are caught.
    """
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveRefused("zip-too-many-entries", f"压缩包内文件超过 {limits.max_entries} 个，请分批上传。",
                             f"The archive holds more than {limits.max_entries} files: upload it in parts.")
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes or (total > limits.ratio_floor and total > limits.max_ratio * max(size, 1)):
        raise ArchiveRefused("zip-too-large-unzipped",
                             f"压缩包解压后超过 {upload_size(limits.max_total_bytes)} 或压缩比异常"
                             "（疑似压缩炸弹），拒绝处理。",
                             f"The archive is larger than {upload_size(limits.max_total_bytes)} once unzipped, or "
                             "compressed implausibly well (a zip bomb): refused.")
    for info in infos:
        _check_member(info, limits)
    return infos


def _check_member(info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    name = member_name(info)
    if info.flag_bits & _ENCRYPTED:
        raise ArchiveRefused("zip-encrypted", f"压缩包内的 {name} 已加密，请上传未加密的压缩包。",
                             f"{name} in the archive is encrypted: upload an archive without a password.")
    if not is_safe_path(name) or stat.S_ISLNK(info.external_attr >> 16):
        raise ArchiveRefused("zip-unsafe-path", f"压缩包内的路径 {name!r} 不安全（绝对路径、“..”或链接），拒绝处理。",
                             f"The path {name!r} in the archive is unsafe (absolute, '..' or a link): refused.")
    if info.file_size > limits.max_entry_bytes:
        raise ArchiveRefused("zip-entry-too-large",
                             f"压缩包内的 {name} 解压后超过 {upload_size(limits.max_entry_bytes)}。",
                             f"{name} in the archive is larger than {upload_size(limits.max_entry_bytes)} unzipped.")
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise ArchiveRefused("zip-compression-ratio",
                             f"压缩包内的 {name} 压缩比超过 {limits.max_ratio}:1（疑似压缩炸弹），拒绝处理。",
                             f"{name} in the archive is compressed more than {limits.max_ratio}:1 "
                             "(a zip bomb): refused.")


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author saw it: archives made on Chinese Windows store GBK names without the
    UTF-8 flag, which zipfile reads as code page 437."""
    if info.flag_bits & _UTF8_NAME:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def is_safe_path(name: str) -> bool:
    """Relative, without '..' or a drive, whichever separator: nothing is extracted, but a name is never trusted."""
    parts = name.replace("\\", "/").split("/")
    return bool(name) and "\0" not in name and parts[0] != "" and ":" not in parts[0] and ".." not in parts


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, never more than its declared size: a header that understates the size is caught
    here, as the data goes on past it (check_archive has held the declared size to the limits)."""
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename}: size differs from the central directory")
    return data

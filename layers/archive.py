"""Safe extraction of zip uploads: no path traversal, no zip bombs, no surprises.

Every entry is checked before anything is written: absolute paths, ``..`` parts,
drive letters and symbolic links are refused, and the declared uncompressed sizes
are held against the total and ratio limits. Extraction then counts the bytes
actually written, so a lying header cannot get past the limits either.

Examples
--------
>>> folder = extract_zip(Path("schools.zip"), Path(tmp), Limits.from_settings())  # doctest: +SKIP
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spatial.errors import InvalidInput, TooLarge
from spatial.settings import get_settings

MB = 1024 * 1024
_CHUNK = 1 * MB


@dataclass(frozen=True)
class Limits:
    """Upload limits: file size, total uncompressed size of an archive, compression ratio."""

    max_bytes: int
    max_unzipped_bytes: int
    max_ratio: float

    @classmethod
    def from_settings(cls) -> Limits:
        """The limits configured by ``PISHRAFT_MAX_UPLOAD_MB``, ``…_MAX_UNZIPPED_MB``, ``…_MAX_ZIP_RATIO``."""
        s = get_settings()
        return cls(s.max_upload_mb * MB, s.max_unzipped_mb * MB, float(s.max_zip_ratio))


def check_size(path: Path, limits: Limits, name: str | None = None) -> None:
    """Refuse an empty file or one larger than the upload limit (``name``: as the user knows it)."""
    name = name or path.name
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput(f"{name} is empty (0 bytes); choose the file again or export it anew.", reason="file_empty", name=name, field="file")
    if size > limits.max_bytes:
        raise TooLarge(
            f"{name} is {size / MB:.1f} MB, over the {limits.max_bytes / MB:.0f} MB upload limit; "
            "split the data or ask an administrator to raise PISHRAFT_MAX_UPLOAD_MB.",
            reason="file_over_limit", name=name, size_mb=f"{size / MB:.1f}", max_mb=f"{limits.max_bytes / MB:.0f}", field="file",
        )


def _safe_member_path(name: str, archive: str) -> PurePosixPath:
    unified = name.replace("\\", "/")
    path = PurePosixPath(unified)
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":") or ".." in path.parts:
        raise InvalidInput(
            f"{archive} holds an entry with an unsafe path ({name!r}): absolute paths and '..' are not allowed. "
            "Re-create the zip from the folder holding the files.",
            reason="zip_unsafe_path", name=archive, entry=name, field="file",
        )
    return path


def extract_zip(archive: Path, target: Path, limits: Limits, name: str | None = None) -> Path:
    """Extract ``archive`` (known to the user as ``name``) into ``target`` after checking every entry.

    Returns ``target``.

    Raises
    ------
    InvalidInput
        The file is not a readable zip, or an entry has an unsafe path or is a link.
    TooLarge
        The uncompressed total or the compression ratio exceeds ``limits``.
    """
    name = name or archive.name
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(
            f"{name} is not a readable zip archive ({exc}); create it again, e.g. with 'zip -r'.",
            reason="zip_unreadable", name=name, field="file",
        ) from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if not members:
            raise InvalidInput(f"{name} is an empty zip archive; add the data files to it.", reason="zip_empty", name=name, field="file")
        declared = 0
        compressed = 0
        for m in members:
            _safe_member_path(m.filename, name)
            if stat.S_ISLNK(m.external_attr >> 16):
                raise InvalidInput(
                    f"{name} holds a symbolic link ({m.filename!r}); links are not allowed in uploads.",
                    reason="zip_link", name=name, entry=m.filename, field="file",
                )
            declared += m.file_size
            compressed += m.compress_size
        _check_totals(name, declared, compressed, limits)
        written = 0
        for m in members:
            destination = target.joinpath(*_safe_member_path(m.filename, name).parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(m) as source, destination.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        written += len(chunk)
                        # Headers can lie about sizes; count what really comes out.
                        _check_totals(name, written, compressed, limits)
                        out.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
                raise InvalidInput(
                    f"{name} is damaged: {m.filename!r} cannot be read ({exc}); create the zip again.",
                    reason="zip_damaged", name=name, entry=m.filename, field="file",
                ) from None
    return target


def _check_totals(name: str, uncompressed: int, compressed: int, limits: Limits) -> None:
    if uncompressed > limits.max_unzipped_bytes:
        raise TooLarge(
            f"{name} unpacks to more than {limits.max_unzipped_bytes / MB:.0f} MB; "
            "upload fewer or smaller files, or ask an administrator to raise PISHRAFT_MAX_UNZIPPED_MB.",
            reason="zip_over_limit", name=name, max_mb=f"{limits.max_unzipped_bytes / MB:.0f}", field="file",
        )
    if uncompressed > MB and uncompressed > limits.max_ratio * max(compressed, 1):
        raise TooLarge(
            f"{name} expands more than {limits.max_ratio:.0f} times (a likely zip bomb); it was not unpacked.",
            reason="zip_bomb", name=name, ratio=f"{limits.max_ratio:.0f}", field="file",
        )

"""Zip safety: links and lying headers are refused before or while anything is written."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from layers.archive import Limits, extract_zip
from spatial.errors import InvalidInput, TooLarge

LIMITS = Limits(max_bytes=10 * 2**20, max_unzipped_bytes=2 * 2**20, max_ratio=200)


def test_symbolic_link_entries_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("passwd.geojson")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    target = tmp_path / "out"
    target.mkdir()

    with pytest.raises(InvalidInput, match="symbolic link"):
        extract_zip(archive, target, LIMITS)
    assert list(target.iterdir()) == []


def test_total_uncompressed_size_is_limited(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("a.geojson", b"x" * (3 * 2**20))
    target = tmp_path / "out"
    target.mkdir()

    with pytest.raises(TooLarge, match="unpacks to more than 2 MB"):
        extract_zip(archive, target, LIMITS)
    assert list(target.iterdir()) == []


def test_entries_stay_inside_the_target_folder(tmp_path: Path) -> None:
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/roads.geojson", "{}")
    target = tmp_path / "out"
    target.mkdir()

    extract_zip(archive, target, LIMITS)

    assert (target / "data" / "roads.geojson").read_text() == "{}"

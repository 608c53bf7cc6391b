"""`pishraft db backup list` names the layer files written since the last backup: continuous
archiving covers the catalogue, and the files only from the next backup on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from spatial.db.embedded import EmbeddedPostgis
from spatial.db.pitr import backups
from spatial.settings import get_settings


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A home whose data directory holds two rasters, one of them already in the repository."""
    saved = {k: os.environ.get(k) for k in ("PISHRAFT_DATA_DIR", "PISHRAFT_BACKUP_REPO")}
    os.environ["PISHRAFT_DATA_DIR"], os.environ["PISHRAFT_BACKUP_REPO"] = str(tmp_path / "data"), str(tmp_path / "repo")
    get_settings.cache_clear()
    for folder in (tmp_path / "data" / "rasters", tmp_path / "repo" / "files" / "rasters"):
        folder.mkdir(parents=True)
    (tmp_path / "data" / "rasters" / "old.tif").write_bytes(b"kept at the last backup")
    (tmp_path / "repo" / "files" / "rasters" / "old.tif").write_bytes(b"kept at the last backup")
    (tmp_path / "data" / "rasters" / "new.tif").write_bytes(b"written since")
    (tmp_path / "data" / ".pishraft-database").write_text("not a layer file")
    try:
        yield tmp_path / "home"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def test_the_backup_list_names_the_rasters_written_since_the_last_backup(home: Path) -> None:
    listed = backups(EmbeddedPostgis(home))
    assert listed["files_not_backed_up"] == ["rasters/new.tif"]
    assert "pishraft db backup" in listed["note"]

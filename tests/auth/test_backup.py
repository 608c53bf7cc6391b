"""Backup → drop → restore gives back every table (row counts and checksums) and the
layer files, on the separate scratch cluster."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from spatial.accounts import backup
from spatial.errors import InvalidInput
from tests.auth.conftest import REPO, Scratch

pytestmark = pytest.mark.slow


def table_fingerprints(dsn: str) -> dict[str, tuple[int, str]]:
    """(row count, md5 of all rows in a fixed order) per table, plus sequence positions."""
    out = {}
    with psycopg.connect(dsn) as conn:
        tables = conn.execute("SELECT schemaname, tablename FROM pg_tables "
                              "WHERE schemaname IN ('public', 'layers') ORDER BY 1, 2").fetchall()
        for schema, table in tables:
            q = sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "
                        "FROM {} AS t").format(sql.Identifier(schema, table))
            out[f"{schema}.{table}"] = tuple(conn.execute(q).fetchone())
        for name, value in conn.execute("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences"):
            out[f"sequence {name}"] = (value or 0, "")
    return out


def pishraft(scratch: Scratch, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": scratch.url, "PISHRAFT_HOME": str(scratch.home),
           "PISHRAFT_DATA_DIR": str(scratch.data_dir)}
    return subprocess.run([str(Path(sys.executable).with_name("pishraft")), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)


@pytest.fixture
def raster_layer(scratch: Scratch) -> bytes:
    """A catalogued raster layer whose file lives in the scratch data directory."""
    content = os.urandom(200_000)
    path = scratch.data_dir / "rasters" / "backup_test.tif"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with psycopg.connect(scratch.pg.libpq_url()) as conn:
        conn.execute("""INSERT INTO layer (slug, title, storage, raster_path) VALUES
                        ('backup_test', 'Backup test raster', 'raster', 'rasters/backup_test.tif')
                        ON CONFLICT (slug) DO NOTHING""")
    return content


def test_backup_drop_restore_gives_identical_tables_and_files(
    scratch: Scratch, raster_layer: bytes, tmp_path: Path
) -> None:
    dsn = scratch.pg.libpq_url()
    before = table_fingerprints(dsn)
    assert before["public.admin_unit"][0] > 300 and before["public.app_user"][0] == 5
    bundle = tmp_path / "pishraft.tar"

    def file_digests() -> dict[str, str]:
        return {r: hashlib.sha256((scratch.data_dir / r).read_bytes()).hexdigest() for r in rasters}

    with psycopg.connect(dsn) as conn:
        rasters = [r[0] for r in conn.execute("SELECT raster_path FROM layer WHERE raster_path IS NOT NULL")]
    files_before = file_digests()
    made = pishraft(scratch, "db", "backup", "--dump", str(bundle))
    assert made.returncode == 0, made.stderr
    assert len(rasters) >= 2  # the demo's and this test's
    with tarfile.open(bundle) as tar:
        assert {"manifest.json", "database.dump", *(f"files/{r}" for r in rasters)} <= set(tar.getnames())

    scratch.pg.drop_database("pishraft")
    shutil.rmtree(scratch.data_dir)
    scratch.pg.create_database("pishraft")

    restored = pishraft(scratch, "db", "restore", "--yes", str(bundle))
    assert restored.returncode == 0, restored.stderr
    assert table_fingerprints(dsn) == before
    assert file_digests() == files_before
    assert files_before["rasters/backup_test.tif"] == hashlib.sha256(raster_layer).hexdigest()


def test_a_damaged_bundle_is_refused_and_the_database_is_untouched(
    scratch: Scratch, raster_layer: bytes, tmp_path: Path
) -> None:
    dsn = scratch.pg.libpq_url()
    bundle = tmp_path / "good.tar"
    backup.backup(bundle, url=scratch.url, data_dir=scratch.data_dir)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(bundle) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "database.dump":
                data = data[:-100] + b"\0" * 100
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    before = table_fingerprints(dsn)
    with pytest.raises(InvalidInput, match="damaged"):
        backup.restore(damaged, url=scratch.url, data_dir=scratch.data_dir)
    with pytest.raises(InvalidInput, match="not a Pishraft backup"):
        not_tar = tmp_path / "x.tar"
        not_tar.write_bytes(b"hello")
        backup.restore(not_tar, url=scratch.url, data_dir=scratch.data_dir)
    assert table_fingerprints(dsn) == before

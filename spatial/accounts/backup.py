"""Backup and restore: the database (``pg_dump`` custom format) and the layer files the
catalogue references, bundled in one tar file.

The bundle holds ``manifest.json`` (format, time, files with SHA-256), ``database.dump``
and ``files/<path relative to the data directory>``. Restoring checks every checksum
first, replays the dump in a single transaction (``--clean --if-exists``, so the
database ends up exactly as dumped, or unchanged if anything fails), then puts the
files back in the data directory.

Examples
--------
>>> backup(Path("pishraft-2026-11-26.tar"))     # doctest: +SKIP
>>> restore(Path("pishraft-2026-11-26.tar"))    # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from spatial.db.engine import database_url
from spatial.db.embedded import postgres_bindir
from spatial.errors import EnvironmentProblem, InvalidInput
from spatial.settings import get_settings

FORMAT = "pishraft-backup"
VERSION = 1
DUMP = "database.dump"
MANIFEST = "manifest.json"


@dataclass
class BackupReport:
    """What a backup or restore covered."""

    path: Path
    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    bytes: int = 0


def _libpq(url: str | None) -> tuple[str, dict[str, str]]:
    """A password-free connection string and the environment carrying the password,
    so that no secret shows in the process list."""
    parsed = make_url(url or database_url())
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    parts = {"host": parsed.host or "127.0.0.1", "port": str(parsed.port or 5432),
             "user": parsed.username or "", "dbname": parsed.database or ""}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v), env


def _run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise EnvironmentProblem(f"{Path(argv[0]).name} failed: {result.stderr.strip()[-1500:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _inside(data_dir: Path, relative: str) -> Path:
    """``data_dir / relative``, refusing paths that escape the data directory."""
    path = (data_dir / relative).resolve()
    if not path.is_relative_to(data_dir.resolve()):
        raise InvalidInput(f"Catalogue path {relative!r} points outside the data directory.", field="raster_path")
    return path


def referenced_files(dsn: str) -> list[str]:
    """Raster paths (relative to the data directory) the layer catalogue references."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT DISTINCT raster_path FROM layer WHERE raster_path IS NOT NULL ORDER BY 1")
        return [r[0] for r in rows]


def backup(target: Path, url: str | None = None, data_dir: Path | None = None) -> BackupReport:
    """Write a bundle of the database and its layer files to ``target`` (atomically).

    Files the catalogue names but the data directory lacks are listed in the report's
    ``missing`` (and the manifest) instead of failing the backup.
    """
    data_dir = (data_dir or get_settings().data_dir).resolve()
    dsn, env = _libpq(url)
    report = BackupReport(Path(target))
    with tempfile.TemporaryDirectory(prefix="pishraft-backup-") as tmp:
        dump = Path(tmp) / DUMP
        _run([str(postgres_bindir() / "pg_dump"), "--format=custom", "--file", str(dump), "--dbname", dsn], env)
        files: list[dict[str, Any]] = []
        for relative in referenced_files(dsn):
            path = _inside(data_dir, relative)
            if path.is_file():
                files.append({"path": relative, "sha256": _sha256(path), "size": path.stat().st_size})
            else:
                report.missing.append(relative)
        manifest = {"format": FORMAT, "version": VERSION, "created_at": datetime.now(UTC).isoformat(),
                    "database": {"file": DUMP, "sha256": _sha256(dump)}, "files": files, "missing": report.missing}
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = report.path.with_name(report.path.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(Path(tmp) / MANIFEST, MANIFEST)
            tar.add(dump, DUMP)
            for f in files:
                tar.add(data_dir / f["path"], f"files/{f['path']}")
        partial.replace(report.path)
    report.files = [f["path"] for f in files]
    report.bytes = report.path.stat().st_size
    return report


def restore(source: Path, url: str | None = None, data_dir: Path | None = None) -> BackupReport:
    """Replace the database's contents and the referenced layer files with a bundle's."""
    data_dir = (data_dir or get_settings().data_dir).resolve()
    source = Path(source)
    if not source.is_file():
        raise InvalidInput(f"No backup file {source}.", field="file")
    dsn, env = _libpq(url)
    report = BackupReport(source)
    with tempfile.TemporaryDirectory(prefix="pishraft-restore-") as tmp:
        try:
            with tarfile.open(source) as tar:
                tar.extractall(tmp, filter="data")  # refuses absolute paths, '..' and links outside
        except (tarfile.TarError, OSError) as exc:
            raise InvalidInput(f"{source} is not a Pishraft backup bundle ({exc}).", field="file") from None
        root = Path(tmp)
        try:
            manifest = json.loads((root / MANIFEST).read_text())
        except (OSError, ValueError):
            raise InvalidInput(f"{source} has no readable {MANIFEST}; is it a Pishraft backup?", field="file") from None
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise InvalidInput(f"{source} is not a version {VERSION} Pishraft backup.", field="file")
        if _sha256(root / DUMP) != manifest["database"]["sha256"]:
            raise InvalidInput(f"The database dump in {source} is damaged (checksum mismatch).", field="file")
        for f in manifest["files"]:
            if _sha256(root / "files" / f["path"]) != f["sha256"]:
                raise InvalidInput(f"File {f['path']} in {source} is damaged (checksum mismatch).", field="file")
            _inside(data_dir, f["path"])
        _run([str(postgres_bindir() / "pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", "--dbname", dsn, str(root / DUMP)], env)
        for f in manifest["files"]:
            dest = _inside(data_dir, f["path"])
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(dest.name + ".partial")
            shutil.copyfile(root / "files" / f["path"], partial)
            partial.replace(dest)
            report.files.append(f["path"])
        report.missing = list(manifest.get("missing", []))
    return report

"""Continuous archiving and point-in-time recovery of the embedded cluster, with pgBackRest.

The first ``pishraft db backup`` writes a pgBackRest configuration beside the cluster
(``pg/pgbackrest.conf``), creates the stanza in the repository (``$PISHRAFT_HOME/backups``
or the ``backup_repo`` setting) and turns WAL archiving on; from then on every WAL
segment is pushed to the repository as it fills (and at least every ``archive_timeout``),
so the cluster can be recovered to any moment after the first backup. Each backup is full
or incremental. The layer files (COGs) of the data directory are copied into the
repository's ``files/`` with every backup (by name: a layer version's file never changes),
and never removed from there, so a restored catalogue finds each file it names.

``restore(to=...)`` restores into the data directory of a *new* home (never over the
running cluster), starts it, promotes it at the target moment and copies in the layer
files its catalogue names.

Examples
--------
>>> backup(EmbeddedPostgis(home))                                    # doctest: +SKIP
>>> backups(EmbeddedPostgis(home))                                   # doctest: +SKIP
>>> restore(EmbeddedPostgis(home), parse_moment("1405/09/16 17:00"), Path("/srv/restored"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jdatetime
import psycopg

from spatial.db.embedded import SERVICE_USER, STANZA, EmbeddedPostgis, config_file, write_archive_settings
from spatial.errors import EnvironmentProblem, InvalidInput
from spatial.jalali import IRAN, latin_digits
from spatial.settings import get_settings

_JALALI = re.compile(r"^\s*(1[34]\d\d)[/-](\d{1,2})[/-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def parse_moment(text: str) -> datetime:
    """A moment typed as a Jalali date and time (``1405/09/16 17:00``, Persian digits too)
    or ISO 8601 (``2026-12-07T17:00:00+03:30``); without a zone it is Iran time.

    Examples
    --------
    >>> parse_moment("1405/09/16 17:00").isoformat()
    '2026-12-07T17:00:00+03:30'
    """
    plain = latin_digits(text).strip()
    found = _JALALI.match(plain)
    try:
        if found:
            y, m, d, hh, mm, ss = (int(g) if g else 0 for g in found.groups())
            moment = jdatetime.datetime(y, m, d, hh, mm, ss).togregorian()
        else:
            moment = datetime.fromisoformat(plain.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not a moment: write it as a Jalali date and time, e.g. 1405/09/16 17:00, "
                           "or ISO 8601, e.g. 2026-12-07T17:00:00+03:30.", field="to") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=IRAN)


def repository(pg: EmbeddedPostgis) -> Path:
    """Where backups go: the ``backup_repo`` setting, else ``$PISHRAFT_HOME/backups``
    (beside the cluster when the service user cannot reach the home, as for the cluster)."""
    configured = get_settings().backup_repo
    if configured is not None:
        return configured.resolve()
    return (pg.home if pg.root.is_relative_to(pg.home) else pg.root) / "backups"


def _owned_by_service(pg: EmbeddedPostgis, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if pg.as_root:
        service = pwd.getpwnam(SERVICE_USER)
        os.chown(path, service.pw_uid, service.pw_gid)


def _write_config(pg: EmbeddedPostgis) -> None:
    repo = repository(pg)
    for folder in (repo, pg.root / "pgbackrest-log", pg.root / "pgbackrest-lock"):
        _owned_by_service(pg, folder)
    config_file(pg).write_text(
        "[global]\n"
        f"repo1-path={repo}\n"
        "repo1-retention-full=4\n"
        "start-fast=y\n"
        "compress-type=lz4\n"
        f"log-path={pg.root / 'pgbackrest-log'}\n"
        f"lock-path={pg.root / 'pgbackrest-lock'}\n"
        "log-level-console=warn\n"
        f"\n[{STANZA}]\n"
        f"pg1-path={pg.data_dir}\n"
        f"pg1-port={pg.port()}\n"
        f"pg1-socket-path={pg.socket_dir}\n"
        "pg1-user=pishraft\n")


def _pgbackrest(pg: EmbeddedPostgis, *args: str) -> str:
    if shutil.which("pgbackrest") is None:
        raise EnvironmentProblem("pgBackRest is not installed. Run: sudo apt-get install -y pgbackrest "
                                 "(scripts/bootstrap.sh installs it).")
    result = pg.run_tool(["pgbackrest", f"--config={config_file(pg)}", f"--stanza={STANZA}", *args], check=False)
    if result.returncode != 0:
        raise EnvironmentProblem(f"pgbackrest {args[-1]} failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def _set_up(pg: EmbeddedPostgis) -> None:
    """Configure pgBackRest, create the stanza and make sure WAL is being archived to it."""
    if not pg.is_running():
        pg.start()
    _write_config(pg)
    write_archive_settings(pg)
    with psycopg.connect(pg.libpq_url("postgres"), autocommit=True) as conn:
        mode = conn.execute("SHOW archive_mode").fetchone()
        if mode is not None and mode[0] == "on":
            conn.execute("SELECT pg_reload_conf()")
    if mode is None or mode[0] != "on":  # archive_mode only changes at a restart
        pg.stop()
        pg.start()
    _pgbackrest(pg, "stanza-create")


@dataclass
class BackupReport:
    """What one backup took and where it went."""

    label: str
    kind: str
    repository: Path
    seconds: float
    files: list[str] = field(default_factory=list)


def backup(pg: EmbeddedPostgis, full: bool = False) -> BackupReport:
    """Take a full (first time, or ``full``) or incremental backup of the running cluster, and
    copy the data directory's layer files into the repository."""
    began = time.monotonic()
    _set_up(pg)
    _pgbackrest(pg, f"--type={'full' if full else 'incr'}", "backup")
    copied = _copy_files(get_settings().data_dir, repository(pg) / "files", pg)
    latest = backups(pg)["backups"][-1]
    return BackupReport(latest["label"], latest["type"], repository(pg), time.monotonic() - began, copied)


def _not_kept(source: Path, target: Path) -> list[Path]:
    """The layer files (not hidden temporaries) of ``source`` that ``target`` lacks, relative."""
    missing: list[Path] = []
    for path in sorted(source.rglob("*")) if source.is_dir() else []:
        relative = path.relative_to(source)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        kept = target / relative
        if not (kept.exists() and kept.stat().st_size == path.stat().st_size):
            missing.append(relative)
    return missing


def _copy_files(source: Path, target: Path, pg: EmbeddedPostgis) -> list[str]:
    """Copy every layer file of ``source`` that ``target`` lacks."""
    copied: list[str] = []
    missing = _not_kept(source, target)
    if not missing:
        return copied
    _owned_by_service(pg, target)
    for relative in missing:
        path, kept = source / relative, target / relative
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f".partial-{kept.name}")
        shutil.copy2(path, partial)
        partial.replace(kept)
        copied.append(str(relative))
    return copied


#: Said by ``backups`` beside the layer files written since the last backup.
FILES_NOTE = ("Layer files (COGs) are copied into the repository by `pishraft db backup`, not as they are "
              "written: the files listed in files_not_backed_up were written since the last backup, and a "
              "restore to a moment after they were added finds their layers without them. Run `pishraft db "
              "backup` after loading rasters.")


def backups(pg: EmbeddedPostgis) -> dict[str, Any]:
    """What can be restored: each backup (label, type, start and stop time, size in the
    repository), the span of archived WAL, i.e. the moments a restore may target, and the
    layer files written since the last backup (``files_not_backed_up``: the WAL covers the
    catalogue, not these files, until the next backup copies them)."""
    pending = [str(p) for p in _not_kept(get_settings().data_dir, repository(pg) / "files")]
    if not config_file(pg).exists():
        return {"repository": str(repository(pg)), "backups": [], "restorable_from": None, "restorable_until": None,
                "files_not_backed_up": pending, "note": FILES_NOTE}
    info = json.loads(_pgbackrest(pg, "--output=json", "info"))
    stanza = info[0] if info else {}
    found = [{"label": b["label"], "type": b["type"],
              "started": datetime.fromtimestamp(b["timestamp"]["start"], UTC).isoformat(),
              "stopped": datetime.fromtimestamp(b["timestamp"]["stop"], UTC).isoformat(),
              "repository_bytes": b["info"]["repository"]["delta"],
              "database_bytes": b["info"]["size"]} for b in stanza.get("backup", [])]
    return {"repository": str(repository(pg)), "backups": found,
            "restorable_from": found[0]["stopped"] if found else None,
            "restorable_until": "the latest archived WAL (within archive_timeout of now)" if found else None,
            "files_not_backed_up": pending, "note": FILES_NOTE}


@dataclass
class RestoreReport:
    """Where the restored cluster lives and what came back."""

    home: Path
    url: str
    moment: datetime
    seconds: float
    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def restore(pg: EmbeddedPostgis, moment: datetime, into: Path) -> RestoreReport:
    """Restore the backups of ``pg``'s home as they were at ``moment`` into the new home
    ``into`` (its cluster and its data directory), start it and copy in the layer files
    its catalogue names. ``into`` must not hold a cluster yet."""
    began = time.monotonic()
    if not config_file(pg).exists():
        raise InvalidInput(f"There are no backups of {pg.home} to restore; take one with `pishraft db backup`.",
                           field="to")
    if pg.is_running():
        # A commit after the moment, so that replay knows where to stop even when nothing
        # happened since; then `check` switches WAL segments and waits until it is archived.
        with psycopg.connect(pg.libpq_url("postgres")) as conn:
            conn.execute("SELECT pg_current_xact_id()")
        _pgbackrest(pg, "check")
    target = EmbeddedPostgis(into)
    if (target.data_dir / "PG_VERSION").exists():
        raise InvalidInput(f"{into} holds a cluster already; restore into a new home.", field="into")
    target.root.mkdir(parents=True, exist_ok=True)
    _owned_by_service(target, target.data_dir)
    os.chmod(target.data_dir, 0o700)
    _pgbackrest(pg, f"--pg1-path={target.data_dir}", "--type=time",
                f"--target={moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f+00')}",
                "--target-action=promote", "restore")
    # The restored cluster starts with archiving off: it is a new history, not this home's.
    write_archive_settings(target)
    target.start(timeout_s=600)
    data_dir = into / "data"
    report = RestoreReport(into, target.libpq_url(), moment, 0.0)
    with psycopg.connect(target.libpq_url()) as conn:
        catalogued = conn.execute("SELECT to_regclass('layer') IS NOT NULL").fetchone()
        named = [r[0] for r in conn.execute(
            "SELECT DISTINCT raster_path FROM layer WHERE raster_path IS NOT NULL ORDER BY 1")] if catalogued and catalogued[0] else []
    kept = repository(pg) / "files"
    for relative in named:
        source = kept / relative
        if not source.is_file():
            report.missing.append(relative)
            continue
        (data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, data_dir / relative)
        report.files.append(relative)
    report.seconds = time.monotonic() - began
    return report

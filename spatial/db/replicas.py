"""Hot standbys of the embedded cluster, by PostgreSQL's own streaming replication.

``add`` copies the running primary with ``pg_basebackup -R`` (which writes the standby's
``primary_conninfo`` and ``standby.signal``) through a replication slot named after the
replica, so the primary keeps the WAL a stopped replica still needs. Each replica has its
own data directory and port under ``<pg root>/replicas/<name>/`` (the pg root is
``$PISHRAFT_HOME/pg``, see :class:`~spatial.db.embedded.EmbeddedPostgis`) and is started
as the primary is. The app finds them there (:func:`replica_urls`) and reads from them.

Examples
--------
>>> replica = add_replica(Path(".pishraft"))      # doctest: +SKIP
>>> [r.name for r in list_replicas(Path(".pishraft"))]  # doctest: +SKIP
['replica1']
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from spatial.db.embedded import DATABASE, SERVICE_USER, SUPERUSER, EmbeddedPostgis, free_port, postgres_bindir
from spatial.db.replication import REPLAY_SQL, STANDBY_SQL, Replay
from spatial.errors import EnvironmentProblem, InvalidInput, NotFound

REPLICAS = "replicas"
#: Replica names are also replication-slot names: lower-case letters, digits, underscores.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass
class EmbeddedReplica(EmbeddedPostgis):
    """A hot standby of the embedded primary under the same home."""

    name: str = "replica1"

    @property
    def root(self) -> Path:
        """``<primary pg root>/replicas/<name>``."""
        return EmbeddedPostgis(self.home).root / REPLICAS / self.name

    def _initialise(self) -> None:
        raise EnvironmentProblem(f"Replica {self.name} has no data directory ({self.data_dir}); remove it with "
                                 f"`pishraft db replica remove {self.name}` and add it again.")

    def _ensure_database(self) -> None:
        """Nothing: a standby is read-only and has every database the primary has."""

    def replay(self) -> Replay:
        """What this standby has replayed, and its lag in seconds."""
        with psycopg.connect(self._dsn(DATABASE)) as conn:
            row = conn.execute(REPLAY_SQL).fetchone()
        assert row is not None
        return Replay.from_row(row)


def list_replicas(home: Path) -> list[EmbeddedReplica]:
    """The replicas made under ``home``, by name."""
    folder = EmbeddedPostgis(home).root / REPLICAS
    names = sorted(p.name for p in folder.glob("*") if (p / "data" / "PG_VERSION").exists()) if folder.exists() else []
    return [EmbeddedReplica(home, name) for name in names]


def replica_urls(home: Path) -> list[str]:
    """SQLAlchemy URLs of the replicas under ``home`` (running or not: the router finds out)."""
    return [f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{r.port()}/{DATABASE}"
            for r in list_replicas(home) if r.port() is not None]


def _next_name(home: Path) -> str:
    taken = {r.name for r in list_replicas(home)}
    return next(f"replica{n}" for n in range(1, 1000) if f"replica{n}" not in taken)


def add_replica(home: Path, name: str | None = None, apply_delay_ms: int = 0,
                timeout_s: float = 120.0) -> EmbeddedReplica:
    """Make a hot standby of the embedded primary, start it and wait until it streams.

    ``apply_delay_ms`` sets ``recovery_min_apply_delay``: the replica replays each commit
    that much later than the primary made it (a delayed copy, or a test of lag).
    """
    name = name or _next_name(home)
    if not NAME.match(name):
        raise InvalidInput(f"Replica name {name!r} is not usable: use lower-case letters, digits and underscores, "
                           "starting with a letter (it names the replication slot too).", field="name")
    if apply_delay_ms < 0:
        raise InvalidInput("The apply delay cannot be negative.", field="apply_delay_ms")
    primary = EmbeddedPostgis(home)
    primary.start()
    replica = EmbeddedReplica(home, name)
    if replica.data_dir.exists():
        raise InvalidInput(f"Replica {name} exists already ({replica.root}); choose another name.", field="name")
    replica._prepare_dirs()
    replica.port_file.write_text(str(free_port()))
    _drop_slot(primary, name)  # a slot left by a replica removed while the primary was down
    try:
        replica._run([str(postgres_bindir() / "pg_basebackup"), "-D", str(replica.data_dir), "-R", "-X", "stream",
                      "-C", "-S", name, "-c", "fast",
                      "-d", f"host=127.0.0.1 port={primary.port()} user={SUPERUSER} application_name={name}"])
        # The primary's vacuum keeps rows a replica's running query still reads, so long
        # reads (exports) are not cancelled by the replay of a cleanup.
        _append_setting(replica, "hot_standby_feedback", "on")
        if apply_delay_ms:
            _append_setting(replica, "recovery_min_apply_delay", f"{apply_delay_ms}ms")
        replica.start()
        _wait_streaming(primary, name, timeout_s)
    except BaseException:
        replica.stop()
        _drop_slot(primary, name)
        shutil.rmtree(replica.root, ignore_errors=True)
        raise
    return replica


def remove_replica(home: Path, name: str) -> None:
    """Stop replica ``name``, drop its slot on the primary and delete its files."""
    replica = EmbeddedReplica(home, name)
    if not replica.root.exists():
        known = ", ".join(r.name for r in list_replicas(home)) or "none"
        raise NotFound(f"No replica {name!r} (replicas: {known}).", field="name")
    replica.stop()
    primary = EmbeddedPostgis(home)
    if primary.is_running():
        _drop_slot(primary, name)
    shutil.rmtree(replica.root, ignore_errors=True)


def replica_status(home: Path) -> list[dict[str, Any]]:
    """Each replica's port, state and lag (bytes not yet replayed, seconds behind)."""
    primary = EmbeddedPostgis(home)
    primary_up = primary.is_running()
    rows = []
    for replica in list_replicas(home):
        running = replica.is_running()
        entry: dict[str, Any] = {"name": replica.name, "port": replica.port(), "running": running,
                                 "state": None, "lag_bytes": None, "lag_s": None}
        if primary_up:
            with psycopg.connect(primary._dsn("postgres")) as conn:
                seen = conn.execute(STANDBY_SQL, (replica.name,)).fetchone()
            if seen is not None:
                entry["state"], entry["lag_bytes"] = seen[0], seen[1]
        if running:
            entry["lag_s"] = round(replica.replay().lag_s, 3)
        rows.append(entry)
    return rows


def _append_setting(replica: EmbeddedReplica, key: str, value: str) -> None:
    conf = replica.data_dir / "postgresql.auto.conf"
    with conf.open("a") as out:
        out.write(f"{key} = '{value}'\n")
    if replica.as_root:
        service = pwd.getpwnam(SERVICE_USER)
        os.chown(conf, service.pw_uid, service.pw_gid)


def _drop_slot(primary: EmbeddedPostgis, name: str) -> None:
    with psycopg.connect(primary._dsn("postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                     "WHERE slot_name = %s AND NOT active", (name,))


def _wait_streaming(primary: EmbeddedPostgis, name: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(primary._dsn("postgres"), autocommit=True) as conn:
        while True:
            row = conn.execute(STANDBY_SQL, (name,)).fetchone()
            if row is not None and row[0] == "streaming":
                return
            if time.monotonic() > deadline:
                raise EnvironmentProblem(f"Replica {name} did not start streaming within {timeout_s:.0f} s; "
                                         f"see {EmbeddedReplica(primary.home, name).log_file}")
            time.sleep(0.1)


__all__ = ["EmbeddedReplica", "add_replica", "list_replicas", "remove_replica", "replica_status",
           "replica_urls"]

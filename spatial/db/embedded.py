"""The embedded PostGIS manager: a private PostgreSQL cluster under ``$PISHRAFT_HOME``.

The cluster listens on 127.0.0.1 only, on a free port chosen at first start and kept
in ``pg/port``. Authentication is ``trust`` for the local superuser ``pishraft``,
which is safe because nothing but loopback can reach it. ``initdb`` and ``postgres``
refuse to run as root, so when uid is 0 they run as the ``postgres`` system user.

Examples
--------
>>> pg = EmbeddedPostgis(Path(".pishraft"))   # doctest: +SKIP
>>> pg.start(); pg.url()                       # doctest: +SKIP
'postgresql+psycopg://pishraft@127.0.0.1:54321/pishraft'
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from spatial.errors import EnvironmentProblem

SUPERUSER = "pishraft"
DATABASE = "pishraft"
SERVICE_USER = "postgres"
#: pgBackRest's name for the cluster (see :mod:`spatial.db.pitr`).
STANZA = "pishraft"
#: The file included by the cluster's postgresql.conf with the archiving settings.
ARCHIVE_CONF = "pishraft_archive.conf"


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL whose share directory holds PostGIS.

    Raises :class:`EnvironmentProblem` with the apt command to run when none does.
    """
    root = Path("/usr/lib/postgresql")
    majors = sorted(
        (p for p in root.glob("*") if (p / "bin" / "initdb").exists()),
        key=lambda p: int(p.name) if p.name.isdigit() else 0,
        reverse=True,
    )
    for major in majors:
        if Path(f"/usr/share/postgresql/{major.name}/extension/postgis.control").exists():
            return major / "bin"
    wanted = majors[0].name if majors else "15"
    raise EnvironmentProblem(
        f"PostgreSQL {wanted} with PostGIS is not installed. Run: "
        f"sudo apt-get update && sudo apt-get install -y postgresql-{wanted}-postgis-3"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reachable_by_service_user(path: Path) -> bool:
    """Whether every existing ancestor of ``path`` lets the service user through."""
    service = pwd.getpwnam(SERVICE_USER)
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        st = parent.stat()
        if st.st_uid == service.pw_uid:
            continue
        if not st.st_mode & 0o001:
            return False
    return True


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As PostgreSQL itself binds: connections of the previous run lingering in
        # TIME_WAIT must not make a restart move to another port (clients would lose it).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class EmbeddedPostgis:
    """A PostgreSQL + PostGIS cluster private to one Pishraft home directory."""

    home: Path

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()

    # -- paths ---------------------------------------------------------------------
    @property
    def root(self) -> Path:
        """``$PISHRAFT_HOME/pg``; as root, when the ``postgres`` user cannot reach that
        (a parent such as /root is private), a directory under /var/tmp keyed by the home."""
        preferred = self.home / "pg"
        if not self.as_root or _reachable_by_service_user(self.home):
            return preferred
        key = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        return Path("/var/tmp") / f"pishraft-pg-{key}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    # -- state -----------------------------------------------------------------------
    def port(self) -> int | None:
        """The port recorded for this cluster, if it was ever started."""
        try:
            return int(self.port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def url(self, database: str = DATABASE) -> str:
        """The SQLAlchemy URL; starts the cluster first when it is not running."""
        if not self.is_running():
            self.start()
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port()}/{database}"

    def libpq_url(self, database: str = DATABASE) -> str:
        """The same URL in libpq form, for psql, pg_dump and ogr2ogr."""
        return self.url(database).replace("postgresql+psycopg://", "postgresql://")

    def is_running(self) -> bool:
        """Whether this cluster's postmaster answers."""
        if not (self.data_dir / "PG_VERSION").exists() or self.port() is None:
            return False
        result = self._run([str(postgres_bindir() / "pg_ctl"), "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    def status(self) -> dict[str, object]:
        """A summary for ``pishraft db status``."""
        running = self.is_running()
        return {
            "home": str(self.home),
            "initialised": (self.data_dir / "PG_VERSION").exists(),
            "running": running,
            "port": self.port(),
            "url": f"postgresql://{SUPERUSER}@127.0.0.1:{self.port()}/{DATABASE}" if running else None,
        }

    # -- lifecycle -------------------------------------------------------------------
    def start(self, timeout_s: float = 60.0) -> None:
        """Initialise (first time), start and wait until the database accepts queries."""
        bindir = postgres_bindir()
        self._prepare_dirs()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initialise()
        if self.is_running():
            self._ensure_database()
            return
        write_archive_settings(self)
        port = self.port()
        if port is None or not _port_is_free(port):
            port = free_port()
            self.port_file.write_text(str(port))
        options = (
            f"-p {port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c shared_buffers=256MB -c fsync=on "
            "-c work_mem=32MB -c maintenance_work_mem=256MB"
        )
        result = self._run(
            [str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
             "-o", options, "-w", "-t", str(int(timeout_s)), "start"],
            check=False,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise EnvironmentProblem(
                f"The embedded PostgreSQL did not start (see {self.log_file}):\n{result.stderr}\n{tail}"
            )
        self._wait_ready(timeout_s)
        self._ensure_database()

    def stop(self) -> None:
        """Stop the cluster (fast shutdown: open transactions roll back)."""
        if not self.is_running():
            return
        self._run([str(postgres_bindir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])

    def create_database(self, name: str) -> None:
        """Create database ``name`` with PostGIS, unless it exists."""
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        with psycopg.connect(self._dsn(name), autocommit=True) as conn:
            conn.execute("create extension if not exists postgis")

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` and any sessions still attached to it."""
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))

    # -- helpers ---------------------------------------------------------------------
    def _initialise(self) -> None:
        """Make the data directory (``initdb``); the cluster's own local superuser, trusted on loopback."""
        self._run(
            [str(postgres_bindir() / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8"]
        )

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port()} user={SUPERUSER} dbname={database} connect_timeout=5"

    def _ensure_database(self) -> None:
        self.create_database(DATABASE)

    def _wait_ready(self, timeout_s: float) -> None:
        # A cluster restored to a moment replays WAL first, read-only: ready once promoted.
        # A hot standby (standby.signal, a read replica) stays in recovery for good: ready
        # once it answers.
        standby = (self.data_dir / "standby.signal").exists()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with psycopg.connect(self._dsn("postgres"), connect_timeout=2) as conn:
                    row = conn.execute("select pg_is_in_recovery()").fetchone()
                if row is not None and (standby or not row[0]):
                    return
                if time.monotonic() > deadline:
                    raise EnvironmentProblem(f"PostgreSQL is still recovering; see {self.log_file}")
                time.sleep(0.2)
            except psycopg.OperationalError as error:
                if not self.is_running():  # e.g. a restore whose target lies beyond the archived WAL
                    tail = self.log_file.read_text(errors="replace")[-1500:] if self.log_file.exists() else ""
                    raise EnvironmentProblem(f"PostgreSQL stopped while starting (see {self.log_file}):\n{tail}") from error
                if time.monotonic() > deadline:
                    raise EnvironmentProblem(f"PostgreSQL did not accept connections; see {self.log_file}") from error
                time.sleep(0.2)

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            service = pwd.getpwnam(SERVICE_USER)
            for path in (self.root, self.socket_dir):
                os.chown(path, service.pw_uid, service.pw_gid)
            if self.data_dir.exists():
                os.chown(self.data_dir, service.pw_uid, service.pw_gid)

    def run_tool(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool (pg_ctl, pgbackrest…) as the user the cluster runs as."""
        return self._run(argv, check)

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.as_root:
            if shutil.which("runuser") is None:
                raise EnvironmentProblem("Running as root needs 'runuser' (util-linux) to start PostgreSQL.")
            argv = ["runuser", "-u", SERVICE_USER, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, cwd="/", check=False)
        if check and result.returncode != 0:
            raise EnvironmentProblem(f"{' '.join(argv)} failed:\n{result.stderr.strip()}")
        return result


# -- WAL archiving (set up by spatial.db.pitr) ---------------------------------------
def config_file(pg: EmbeddedPostgis) -> Path:
    """The cluster's pgBackRest configuration (present once backups were set up)."""
    return pg.root / "pgbackrest.conf"


def archive_settings(pg: EmbeddedPostgis) -> str:
    """The archiving settings the cluster starts with: WAL goes to pgBackRest once a backup
    was set up; until then each segment is let go (``/bin/true``)."""
    conf = config_file(pg)
    command = (f"pgbackrest --config={conf} --stanza={STANZA} archive-push %p" if conf.exists() else "/bin/true")
    return f"archive_mode = on\narchive_command = '{command}'\narchive_timeout = 60\n"


def write_archive_settings(pg: EmbeddedPostgis) -> None:
    """Write :func:`archive_settings` into the data directory and have postgresql.conf include it."""
    data = pg.data_dir
    (data / ARCHIVE_CONF).write_text(archive_settings(pg))
    main = data / "postgresql.conf"
    line = f"include_if_exists = '{ARCHIVE_CONF}'"
    if line not in main.read_text():
        with main.open("a") as f:
            f.write(f"\n{line}\n")
    if pg.as_root:
        service = pwd.getpwnam(SERVICE_USER)
        os.chown(data / ARCHIVE_CONF, service.pw_uid, service.pw_gid)

"""Pishraft settings: the one place where the environment is read."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings, from ``PISHRAFT_*`` environment variables.

    ``DATABASE_URL`` (no prefix) points Pishraft at an existing PostGIS; when it is
    unset, Pishraft runs its own embedded cluster under ``home``.
    """

    model_config = SettingsConfigDict(env_prefix="PISHRAFT_", extra="ignore")

    home: Path = Field(default=Path(".pishraft"), description="Data directory")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PISHRAFT_DATABASE_URL")
    )
    # Hot standbys that serve reads (comma-separated URLs), with DATABASE_URL; without it,
    # the replicas made by `pishraft db replica add` serve them.
    database_read_urls: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_READ_URLS", "PISHRAFT_DATABASE_READ_URLS")
    )
    # A replica further behind than this (seconds of replay) serves no reads until it catches up.
    replica_max_lag_s: float = 10.0
    # How long a replica that did not answer is left out before it is tried again.
    replica_retry_s: float = 5.0
    # How often a worker re-reads a replica's replay position and lag.
    replica_check_s: float = 1.0
    # Server-side prepared statements (psycopg prepares a query run five times on a connection).
    # Off behind a pooler in transaction mode (PgBouncer before 1.21), where the next
    # transaction may run on another server connection that never saw the statement.
    prepared_statements: bool = True
    pool_size: int = 10
    # Requests a worker runs at once (beyond them, requests wait in line). More than a few
    # per core adds only contention for the interpreter: throughput stays, and the
    # latency of everything grows, cache hits answered on the event loop included.
    max_concurrent_requests: int = 8
    pool_timeout_s: float = 10.0
    statement_timeout_ms: int = 60_000
    connect_timeout_s: int = 5
    host: str = "127.0.0.1"
    # `pishraft serve` migrates the schema before serving (as `--migrate` does); otherwise it
    # refuses to start on a schema that is not this version's and names the command to run.
    migrate_on_start: bool = False
    port: int = 8000
    # Public base URL used in links (OGC API, TileJSON); derived from the request when unset.
    public_url: str | None = None
    anonymous_read: bool = True
    # The monitoring centre (/monitor, /api/monitor) for visitors who have not signed in: off,
    # they are asked to sign in; an administrator turns it on with PISHRAFT_MONITOR_ANONYMOUS=true.
    monitor_anonymous: bool = False
    # Signs bearer tokens; when unset, generated once into $PISHRAFT_HOME/secret_key (mode 0600).
    secret_key: str | None = None
    token_ttl_minutes: int = 8 * 60
    # Sign-in: from this many wrong passwords in a row, each try waits 1, 2, 4 … 60 s; at the
    # lock limit the account (or client address) is locked for signin_lock_minutes, which is
    # also how long a count of wrong passwords is remembered.
    signin_slowdown_after: int = 5
    signin_lock_after: int = 10
    signin_address_lock_after: int = 50
    signin_lock_minutes: int = 15
    # Refuse PATCH/PUT/DELETE of versioned objects (roadmaps, actions, measurements) sent
    # without If-Match (428), instead of accepting them against whatever version is current.
    require_if_match: bool = False
    # Send the session cookie only over HTTPS (browsers also accept it on http://localhost).
    cookie_secure: bool = True
    max_upload_mb: int = 512
    # JSON and form bodies are small; only file uploads may reach max_upload_mb.
    max_json_kb: int = 1024
    # Zip archives: total uncompressed size and compression ratio (zip-bomb guards).
    max_unzipped_mb: int = 4096
    max_zip_ratio: int = 200
    cors_origins: list[str] = Field(default_factory=list)
    # Where layers are expected to lie, as lon/lat [west, south, east, north]; unset: the extent of
    # the provinces in the database. A layer wholly outside it (widened by the margin, in degrees)
    # is refused as a likely CRS or column mistake; one reaching beyond it is loaded with a warning.
    territory_bbox: list[float] | None = Field(default=None, min_length=4, max_length=4)
    territory_margin_deg: float = 1.0

    # Partner APIs: server-side tile cache (memory LRU, optional disk) and how often a
    # worker re-reads the data generation that invalidates it.
    tile_cache_mb: int = 256
    tile_cache_dir: Path | None = None
    tile_cache_check_s: float = 1.0
    # Encoded pages of OGC API items kept until published data changes (0: read every page afresh).
    items_cache_mb: int = 64
    # How often a worker checks the data generation to compute what unit pages show of a
    # whole level before a reader asks (spatial.serving.warming); 0 turns it off.
    warm_check_s: float = 2.0
    # Cache-Control max-age on tiles and features.
    http_max_age_s: int = 60

    # pgBackRest repository of `pishraft db backup` (default: $PISHRAFT_HOME/backups).
    backup_repo: Path | None = None
    # Overlay derivations on a Dask cluster: the scheduler of an existing one (tcp://host:8786);
    # unset, a LocalCluster sized to this machine is started for a derivation that needs one.
    dask_scheduler: str | None = None
    # A point layer of more features than this is derived on the Dask cluster, not in process.
    dask_threshold: int = 5_000_000
    # A GeoParquet layer is read and written this many rows at a time, so a large one never sits in memory whole.
    ingest_batch_rows: int = Field(default=1_000_000, ge=1)

    # Daily e-mail of what became late or is due soon (`pishraft notify send`), through this
    # SMTP server; unset, no e-mail is sent (the inboxes on the home page still fill).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "pishraft@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = 30.0
    # "Today" for notifications and inboxes (ISO date); unset, the server's date. Lets a test,
    # or a catch-up run, move the clock.
    today: date | None = None
    # An action is "due soon" within this many days of its end date.
    notice_days: int = 30

    data_dir_override: Path | None = Field(default=None, validation_alias=AliasChoices("PISHRAFT_DATA_DIR"))

    @property
    def data_dir(self) -> Path:
        """Where layer files (COGs) are kept: ``PISHRAFT_DATA_DIR`` or ``$PISHRAFT_HOME/data``."""
        return (self.data_dir_override or self.home / "data").resolve()

    @property
    def read_urls(self) -> list[str]:
        """``DATABASE_READ_URLS`` split at commas, blanks dropped."""
        return [u.strip() for u in (self.database_read_urls or "").split(",") if u.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()

"""Helpers of the crash tests: Pishraft in a subprocess that a test kills with SIGKILL at a
random moment, and the check that the database, the catalogue and the data directory agree
afterwards (``leftovers``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from spatial.db.embedded import free_port
from spatial.db.engine import session_scope
from spatial.settings import get_settings
from tests.conftest import REPO

#: What the log says when a start cleared leftovers (:mod:`api.recovery`).
CLEARED = "leftovers of interrupted work"


@contextmanager
def server(log: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Pishraft in a subprocess (the test database and data directory, or ``env``'s), its log in ``log``."""
    port = free_port()
    with log.open("ab") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                                 "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                                cwd=REPO, env={**os.environ, **(env or {})}, stdout=sink, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    if database_url is None:
        with session_scope() as session:
            yield session
        return
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def leftovers(database_url: str | None = None, data_dir: Path | None = None) -> list[str]:
    """What disagrees (in the test database and data directory, or those given): catalogued
    rasters without their file, raster files or layer tables the catalogue does not name,
    temporary files, derived indicators without values, derivation jobs still said to run."""
    data_dir = data_dir or get_settings().data_dir
    with _session(database_url) as session:
        rasters = set(session.execute(text("SELECT raster_path FROM layer WHERE raster_path IS NOT NULL")).scalars())
        named_tables = set(session.execute(text("SELECT table_name FROM layer WHERE table_name IS NOT NULL")).scalars())
        tables = set(session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'layers'")).scalars())
        empty = set(session.execute(text("""SELECT code FROM indicator i WHERE meta ? 'derived' AND NOT EXISTS
                                             (SELECT 1 FROM indicator_value v WHERE v.indicator_id = i.id)""")).scalars())
        active = set(session.execute(text("SELECT id FROM derivation_job WHERE state IN ('queued', 'running')")).scalars())
    files = {p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file()}
    wrong = [f"missing file {r}" for r in rasters - files]
    wrong += [f"orphan file {f}" for f in files if f.startswith("rasters/") and f not in rasters]
    wrong += [f"temporary file {f}" for f in files if "/.tmp-" in f or f.startswith(".tmp-")]
    wrong += [f"orphan table {t}" for t in tables - named_tables]
    wrong += [f"indicator without values {c}" for c in empty]
    wrong += [f"derivation job {j} still said to run" for j in active]
    return sorted(wrong)


def quietly(call: Callable[..., Any], *args: Any) -> Any:
    """The answer, or the transport error of a server killed mid-request."""
    try:
        return call(*args)
    except httpx.TransportError as error:
        return error

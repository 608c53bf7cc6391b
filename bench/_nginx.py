"""Debian's nginx with Pishraft's production cache rules (``docker/nginx.conf``) in front of
a server on this machine: for :mod:`bench.tiles` and the tests of the shared cache.

Everything nginx writes (pid, logs, temporary files, the cache) goes to a temporary
directory, and it listens on a free loopback port, so it runs as any user. Only the
upstream, the port and the cache directory differ from the production file.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRODUCTION_CONF = Path(__file__).resolve().parents[1] / "docker" / "nginx.conf"

_MAIN = """daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
worker_processes {workers};
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/pishraft.conf;
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def local_conf(upstream: str, port: int, cache_dir: Path) -> str:
    """``docker/nginx.conf`` with ``upstream`` (host:port) for the app, ``port`` on loopback, and ``cache_dir``."""
    text = PRODUCTION_CONF.read_text()
    text, upstreams = re.subn(r"server app:8000;", f"server {upstream};", text)
    text, listens = re.subn(r"listen 8080;", f"listen 127.0.0.1:{port};", text)
    text, caches = re.subn(r"proxy_cache_path /var/cache/nginx/pishraft ", f"proxy_cache_path {cache_dir} ", text)
    if (upstreams, listens, caches) != (1, 1, 1):
        raise RuntimeError(f"{PRODUCTION_CONF} no longer has the lines this runner rewrites")
    return text


@contextmanager
def nginx_in_front(upstream: str, *, workers: int = 1) -> Iterator[str]:
    """Run nginx in front of ``upstream`` (host:port) until the block ends; yields its base URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="pishraft-nginx-") as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers may run as another user when started by root
        port = _free_port()
        Path(tmp, "pishraft.conf").write_text(local_conf(upstream, port, Path(tmp) / "cache"))
        Path(tmp, "nginx.conf").write_text(_MAIN.format(tmp=tmp, workers=workers))
        process = subprocess.Popen([nginx, "-p", tmp, "-c", f"{tmp}/nginx.conf", "-e", f"{tmp}/error.log"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"nginx exited: {process.stderr.read().decode() if process.stderr else ''}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("nginx did not listen within 30 s") from None
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

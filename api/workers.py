"""Serve an ASGI app with several uvicorn worker processes, TCP_NODELAY on every connection.

uvicorn's multi-worker mode binds its listening socket without naming the protocol, so
asyncio does not set TCP_NODELAY on the connections it accepts; on keep-alive
connections a small response then waits about 40 ms for the client's delayed ACK
(Nagle's algorithm), which caps a worker at ~25 small responses per connection per
second. Setting TCP_NODELAY on the listening socket fixes it: Linux copies it to every
accepted socket.

Imports nothing but uvicorn, so that the tile benchmark can start tipg with it too:
``python -m api.workers tipg.main:app --port 8081 --workers 2``.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The bound listening socket for ``config``, with TCP_NODELAY for the connections it accepts."""
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def serve_workers(app: str, *, host: str, port: int, workers: int, factory: bool = False,
                  log_level: str = "info") -> None:
    """Run ``app`` (``module:attribute``) in ``workers`` processes on ``host:port`` until stopped."""
    # Importing the geo stack takes more than uvicorn's default 5 s health-check window on a
    # busy machine; the supervisor would then kill and respawn the workers forever.
    config = uvicorn.Config(app, host=host, port=port, workers=workers, factory=factory, log_level=log_level,
                            timeout_worker_healthcheck=60)
    if workers <= 1:
        uvicorn.Server(config).run()  # a single process sets TCP_NODELAY itself
        return
    Multiprocess(config, sockets=[listening_socket(config)]).run()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve an ASGI app with uvicorn workers and TCP_NODELAY.")
    parser.add_argument("app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--factory", action="store_true")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    serve_workers(args.app, host=args.host, port=args.port, workers=args.workers, factory=args.factory,
                  log_level=args.log_level)


if __name__ == "__main__":
    main()

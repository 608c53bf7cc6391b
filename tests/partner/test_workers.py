"""Multi-worker serving: connections accepted by the workers do not wait on Nagle's algorithm."""

from __future__ import annotations

import socket

import uvicorn

from api.workers import listening_socket


def test_accepted_connections_have_tcp_nodelay() -> None:
    config = uvicorn.Config("api.app:create_app", host="127.0.0.1", port=0, workers=2)
    with listening_socket(config) as server:
        server.listen()
        with socket.create_connection(server.getsockname()):
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1

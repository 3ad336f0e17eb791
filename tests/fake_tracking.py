"""Loopback stand-ins for an MLflow tracking server that is down, hangs, or goes away after the start-up
check: real sockets, no mocks of MLflow or of personaqa."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def refused_url() -> str:
    """http://127.0.0.1:PORT where nothing listens (a port just freed by the kernel)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class HangingServer:
    """Accepts TCP connections (the kernel's backlog) but never answers: a server stuck mid-request."""

    def __enter__(self) -> Self:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self._socket.close()


class VanishingServer:
    """Answers the first request (the start-up check) with an empty MLflow reply, then goes away: every later
    connection is refused, as when the tracking server dies during a run."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __enter__(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                server.requests.append(f"{self.command} {self.path}")
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                threading.Thread(target=server.stop, daemon=True).start()

            do_GET = do_POST = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            self.stop()

"""A loopback TCP gate in front of a real service: open, it forwards every connection to the
service; closed, nothing listens on its port (connection refused), as when the service is
stopped. Used to take Rasa away from one console process without stopping the shared stack."""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import threading


class _Forward(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        gate: Gate = self.server.gate  # type: ignore[attr-defined]
        upstream = socket.create_connection(("127.0.0.1", gate.target_port), timeout=10)
        gate.track(self.request, upstream)
        sockets = [self.request, upstream]
        try:
            for _ in range(100_000):  # bounded: one chunk per round
                readable, _, _ = select.select(sockets, [], [], 30)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.request else self.request).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()


class Gate:
    def __init__(self, port: int, target_port: int) -> None:
        self.port = port
        self.target_port = target_port
        self._server: socketserver.ThreadingTCPServer | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._connections.extend(sockets)

    def open(self) -> None:
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), _Forward)
        server.daemon_threads = True
        server.gate = self  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def close(self) -> None:
        """Stop listening and cut the connections that are open (pooled keep-alives too)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            for sock in self._connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._connections.clear()

"""A deliberately small HTTP/1.1 client: one keep-alive socket, requests written as prepared
bytes, responses read by Content-Length.

The server under test shares the machine's two cores with this client, so every microsecond
the client spends is taken from the server. http.client parses headers through the email
package and builds objects per response; this reads the status line, two headers we need,
and the body, and blocking socket calls release the GIL so client threads overlap.
"""

import re
import socket
from dataclasses import dataclass

_SERVER_TIMING = re.compile(rb"app;dur=([0-9.]+)")


class HttpError(Exception):
    pass


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    server_ms: float | None  # from `Server-Timing: app;dur=…`
    close: bool


class Connection:
    """One persistent connection to 127.0.0.1; reconnects when the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("The benchmarks only talk to the local machine.")
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        # Small requests must leave at once, not wait for Nagle's timer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        if self.sock is None:
            self.sock = self._connect()
        try:
            self.sock.sendall(raw)
            response = self._read_response()
        except BaseException:
            # Whatever went wrong, the stream may be mid-response: never reuse it.
            self.close()
            raise
        if response.close:
            self.close()
        return response

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("The server closed the connection.")
        self.buffer += chunk

    def _read_response(self) -> Response:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > 65536:
                raise HttpError("Response headers too large.")
            self._fill()
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        status_line, _, header_block = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"Not an HTTP response: {status_line[:80]!r}")
        status = int(parts[1])
        length = None
        close = parts[0] == b"HTTP/1.0"
        server_ms = None
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"content-length":
                length = int(value.strip())
            elif key == b"connection":
                close = value.strip().lower() == b"close"
            elif key == b"server-timing":
                match = _SERVER_TIMING.search(value)
                if match:
                    server_ms = float(match.group(1))
            elif key == b"transfer-encoding":
                raise HttpError("Chunked responses are not expected from this API.")
        if length is None:
            if not close:
                raise HttpError("Response without Content-Length on a kept-alive connection.")
            while True:  # read to EOF, bounded by the socket timeout
                try:
                    self._fill()
                except ConnectionResetError:
                    break
            length = len(self.buffer)
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Response(status=status, body=body, server_ms=server_ms, close=close)

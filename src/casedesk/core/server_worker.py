"""The gunicorn worker `casedesk serve` runs: gunicorn's threaded worker, except that the two
refusals gunicorn answers itself, before casedesk sees the request, carry the API's error
shape, JSON `{"detail": ...}`, instead of an HTML page: a request line over
`limit_request_line` bytes (414) and headers over `limit_request_fields` or
`limit_request_field_size` (431).

Gunicorn refuses them while it reads the request line and headers, so it does not know the
path yet (for an over-long request line, it never will): every path gets the JSON answer,
which a browser shows as text as readily as the HTML one.
"""

import json
import socket
import time
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

# How long, and how much, a refused client may go on sending before the connection closes.
LINGER_SECONDS = 1.0
LINGER_BYTES = 1024 * 1024


def json_answer(status: int, reason: str, detail: str) -> bytes:
    """A whole HTTP/1.1 answer, closing the connection, with the API's JSON error body."""
    body = json.dumps({"detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def refusal(exc: BaseException, cfg: Any) -> bytes | None:
    """The JSON answer to a request gunicorn refused for its size, or None for other errors."""
    if isinstance(exc, LimitRequestLine):
        return json_answer(414, "URI Too Long", (
            "The request line (method, path and query string) is longer than "
            f"{cfg.limit_request_line} bytes."))
    if isinstance(exc, LimitRequestHeaders):
        return json_answer(431, "Request Header Fields Too Large", (
            f"The request's headers are too large: at most {cfg.limit_request_fields} "
            f"headers of at most {cfg.limit_request_field_size} bytes each."))
    return None


def linger(sock: socket.socket) -> None:
    """Reads and drops, for a moment, what the client is still sending: closing a connection
    with unread data makes the kernel reset it, which can destroy the answer before the
    client has read it."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(LINGER_SECONDS)
        deadline = time.monotonic() + LINGER_SECONDS
        received = 0
        while received < LINGER_BYTES and time.monotonic() < deadline:
            chunk = sock.recv(64 * 1024)
            if not chunk:
                break
            received += len(chunk)
    except OSError:
        pass


class JsonErrorsWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's `gthread` worker, answering 414 and 431 in JSON."""

    def handle_error(self, req: Any, client: socket.socket, addr: Any,
                     exc: BaseException) -> None:
        answer = refusal(exc, self.cfg)
        if answer is None:
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, answer)
        except OSError:
            self.log.debug("Failed to send error message.")
            return
        linger(client)

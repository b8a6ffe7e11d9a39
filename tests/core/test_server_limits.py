"""Requests too large for the web server itself: the real `casedesk serve` (gunicorn) refuses
an over-long request line (414) and over-large headers (431) before casedesk sees them, and
answers in the API's JSON error shape, on raw sockets as a client sends them."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from casedesk.core.management.commands.serve import (
    LIMIT_REQUEST_FIELD_SIZE,
    LIMIT_REQUEST_FIELDS,
    LIMIT_REQUEST_LINE,
)
from casedesk.core.server_worker import json_answer
from tests.servers import free_port, wait_for_health

SCRIPT = Path(sys.executable).with_name("casedesk")


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real `casedesk serve` on loopback (the 414 and 431 need no migrated database)."""
    var = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
           "CASEDESK_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "casedesk.settings",
           "CASEDESK_SECRET_KEY": "a-key-for-this-test-only-0123456789abcdef-0123456789"}
    chosen = free_port()
    server = subprocess.Popen([SCRIPT, "serve", "--port", str(chosen), "--workers", "1",
                               "--no-collectstatic"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        assert wait_for_health(chosen) == b'{"status": "ok"}'
        yield chosen
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends `request` as is and reads the whole answer: status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip()
               for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def assert_json_error(answer: tuple[int, dict[str, str], bytes], status: int,
                      *words: str) -> None:
    code, headers, body = answer
    assert code == status, (code, body[:300])
    assert headers["content-type"].startswith("application/json")
    assert int(headers["content-length"]) == len(body)
    detail = json.loads(body)["detail"]
    assert all(word in detail for word in words), detail


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/api/v1/cases", "/cases"])
def test_an_over_long_request_line_is_a_json_414(port: int, path: str) -> None:
    target = f"{path}?q={'x' * LIMIT_REQUEST_LINE}"
    answer = exchange(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert_json_error(answer, 414, "request line", str(LIMIT_REQUEST_LINE))


@pytest.mark.slow
def test_a_request_line_far_over_the_limit_is_answered_too(port: int) -> None:
    """A client still sending when the server has answered reads the answer all the same."""
    target = f"/api/v1/cases?q={'x' * 500_000}"
    answer = exchange(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert_json_error(answer, 414, "request line")


@pytest.mark.slow
@pytest.mark.parametrize("headers", [
    f"X-Big: {'y' * LIMIT_REQUEST_FIELD_SIZE}\r\n",
    "".join(f"X-Many-{n}: y\r\n" for n in range(LIMIT_REQUEST_FIELDS + 1)),
], ids=["one header too long", "too many headers"])
def test_over_large_headers_are_a_json_431(port: int, headers: str) -> None:
    request = f"GET /api/v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n"
    assert_json_error(exchange(port, request.encode()), 431, "headers",
                      str(LIMIT_REQUEST_FIELDS), str(LIMIT_REQUEST_FIELD_SIZE))


@pytest.mark.slow
def test_requests_within_the_limits_reach_the_api(port: int) -> None:
    target = f"/api/v1/cases?q={'x' * 100}"
    request = (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               f"X-Big: {'y' * (LIMIT_REQUEST_FIELD_SIZE - 100)}\r\n\r\n")
    assert_json_error(exchange(port, request.encode()), 401, "Authentication required")


def test_the_answer_is_whole_http() -> None:
    raw = json_answer(431, "Request Header Fields Too Large", "Too “big”.")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"Connection: close" in head and b"Content-Type: application/json" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"detail": "Too “big”."}

"""Helpers for tests that start a real server process on loopback."""

import time
import urllib.request

from tests.mail.peers import free_port

__all__ = ["free_port", "wait_for_health"]


def wait_for_health(port: int, *, tries: int = 300) -> bytes:
    """The body `/healthz` answers once the server listens (b"" if it never does)."""
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return bytes(r.read())
        except OSError:
            time.sleep(0.2)
    return b""

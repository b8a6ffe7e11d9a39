"""Runs the real `casedesk serve` (gunicorn, gthread workers) for the HTTP benchmarks."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.database import ROOT, Database, casedesk_command, server_environment
from bench.http import Connection

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    workers: int
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"casedesk serve exited with {process.returncode}; see {log_path}")
        conn = Connection(HOST, port, timeout=5)
        try:
            if conn.request("GET", "/healthz").status < 500:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(
        f"casedesk serve did not answer within {START_TIMEOUT:.0f} s; see {log_path}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the gunicorn master (it stops its workers); the process group we created
    is killed only if that does not work in time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def running(db: Database, workers: int, log_dir: Path) -> Iterator[Server]:
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{workers}w.log"
    command = [
        casedesk_command(),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-collectstatic",
    ]
    env = server_environment(db)
    # gunicorn's control socket defaults to one path per user: a bench server would take it
    # over from any other casedesk serve running on the machine.
    env["GUNICORN_CMD_ARGS"] = (env.get("GUNICORN_CMD_ARGS", "") + " --no-control-socket").strip()
    with log_path.open("wb") as log_file:
        # Own session, so a stuck server can be killed as a group without touching anything
        # else on the machine.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(process, port, log_path)
            yield Server(host=HOST, port=port, workers=workers, pid=process.pid)
        finally:
            _stop(process)

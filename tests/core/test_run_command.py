"""`casedesk run` (what `make run` ends with): the web server and a worker, started together
and stopped together by one Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import free_port, wait_for_health

SCRIPT = Path(sys.executable).with_name("casedesk")

MESSAGE = b"""From: Jo Customer <jo@customer.example>
To: help@initech.test
Subject: The printer is on fire
Message-ID: <run-test-1@customer.example>
Date: Fri, 04 Dec 2026 10:00:00 +0000

Please help.
"""


def _children(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdecimal():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
def test_run_serves_works_the_queue_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in {"CASEDESK_SECRET_KEY", "CASEDESK_SECRET_KEY_FILE"}}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                "CASEDESK_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "casedesk.settings"})
    subprocess.run([SCRIPT, "migrate", "-v", "0"], env=env, check=True, timeout=180)
    subprocess.run([SCRIPT, "create_tenant", "initech", "--name", "Initech", "--admin",
                    "boss@initech.test"], env=env, check=True, timeout=120, capture_output=True)
    subprocess.run([SCRIPT, "shell", "-c",
                    "from casedesk.tenancy.models import Tenant; Tenant.objects.filter("
                    "slug='initech').update(mail_address='help@initech.test')"],
                   env=env, check=True, timeout=120)
    port = free_port()
    # Its own session, as a terminal's foreground job: Ctrl-C signals the whole group.
    run = subprocess.Popen([SCRIPT, "run", "--port", str(port), "--web-workers", "1",
                            "--no-collectstatic"], env=env, start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for_health(port) == b'{"status": "ok"}'
        assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
        commands = [_cmdline(pid) for pid in _children(run.pid)]
        assert any(" serve " in c for c in commands) and any(c.rstrip().endswith(" worker")
                                                              for c in commands), commands
        # Mail taken in through the pipe: its acknowledgement is delivered by the worker
        # (to var/sent-mail, as no SMTP server is configured), not left waiting.
        taken = subprocess.run([SCRIPT, "ingest_email", "--tenant", "initech", "-"],
                               input=MESSAGE, env=env, timeout=120, capture_output=True)
        assert taken.returncode == 0, taken.stderr
        sent_dir = tmp_path / "sent-mail"
        for _ in range(300):
            if sent_dir.exists() and any(sent_dir.iterdir()):
                break
            time.sleep(0.2)
        sent = b"".join(p.read_bytes() for p in sent_dir.iterdir())
        assert b"jo@customer.example" in sent and b"The printer is on fire" in sent
        everything = _children(run.pid)
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            code = run.wait(timeout=60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    output = run.stdout.read().decode() if run.stdout else ""
    assert code == 0, output
    assert "stopping" in output
    time.sleep(0.5)
    assert not [pid for pid in everything if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]


@pytest.mark.slow
def test_make_runs_demo_step_works_before_any_secret_key_exists(tmp_path: Path) -> None:
    """`make run` on a fresh clone: migrate, then the demo (which signs survey links), and
    only then `casedesk run`; the demo makes the installation's key when there is none."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"CASEDESK_SECRET_KEY", "CASEDESK_SECRET_KEY_FILE"}}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                "CASEDESK_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "casedesk.settings"})
    subprocess.run([SCRIPT, "migrate", "-v", "0"], env=env, check=True, timeout=180)
    done = subprocess.run([SCRIPT, "demo", "--cases", "40"], env=env, timeout=600,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    key = tmp_path / "secret_key"
    assert f"Created a secret key for this installation in {key}" in done.stdout
    assert key.stat().st_mode & 0o777 == 0o600
    again = subprocess.run([SCRIPT, "demo", "--cases", "40"], env=env, timeout=600,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "Created a secret key" not in again.stdout

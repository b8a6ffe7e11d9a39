"""`casedesk live` and its place in `casedesk run`: the live server starts beside the web
server and the worker on the web port + 1, the web server is told where it is, and Ctrl-C
stops all three."""

import os
import signal
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from casedesk.core.management.commands.run import browser_address
from tests.chat.livekit import SCRIPT
from tests.servers import free_port, wait_for_health


def test_browsers_are_sent_to_the_host_the_servers_listen_on() -> None:
    assert browser_address("127.0.0.1") == "127.0.0.1"
    assert browser_address("desk.example.com") == "desk.example.com"
    assert browser_address("::1") == "[::1]"
    assert browser_address("0.0.0.0") is None and browser_address("::") is None


def test_live_refuses_bad_options() -> None:
    for options in ({"port": 0}, {"workers": 0}, {"limit_concurrency": 1}):
        with pytest.raises(CommandError, match="must be between"):
            call_command("live", **options)


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().partition("=")[::2] for item in raw if b"=" in item)


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdecimal():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_run_starts_the_live_server_next_to_the_web_server(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CASEDESK_SECRET_KEY", "CASEDESK_SECRET_KEY_FILE", "CASEDESK_LIVE_URL"}
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CASEDESK_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "casedesk.settings",
        }
    )
    subprocess.run([SCRIPT, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    port, live_port = free_port(), free_port()
    run = subprocess.Popen(
        [
            SCRIPT,
            "run",
            "--port",
            str(port),
            "--live-port",
            str(live_port),
            "--web-workers",
            "1",
            "--no-collectstatic",
        ],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for_health(port) == b'{"status": "ok"}'
        assert wait_for_health(live_port) == b'{"status": "ok"}'
        parts = {_cmdline(pid): pid for pid in _children(run.pid)}
        web = next(pid for line, pid in parts.items() if " serve " in line)
        assert any(f" live --host 127.0.0.1 --port {live_port}" in line for line in parts)
        assert _environ(web)["CASEDESK_LIVE_URL"] == f"http://127.0.0.1:{live_port}"
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            code = run.wait(timeout=60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    output = run.stdout.read().decode() if run.stdout else ""
    assert code == 0, output
    assert "started live server" in output

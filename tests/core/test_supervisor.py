"""The supervisor behind `casedesk run`: parts start together and stop together."""

import os
import signal
import sys
import threading
import time
from pathlib import Path

from casedesk.core.supervisor import Part, supervise

PY = sys.executable


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def sleeper(pid_file: Path) -> Part:
    """A part that writes its pid and runs until it is stopped."""
    code = (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
            "time.sleep(600)")
    return Part(pid_file.stem, [PY, "-c", code])


def _wait_for(path: Path) -> int:
    for _ in range(300):
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def test_a_part_that_ends_stops_the_others_and_fails_the_run(tmp_path: Path) -> None:
    web = tmp_path / "web.pid"
    lines: list[str] = []
    # The worker ends once the web part is up: ending at once, on a busy machine, it could
    # have the web part stopped before that wrote its pid (and the check below wait for it).
    worker = (f"import os, sys, time; [time.sleep(0.05) for _ in iter(lambda: "
              f"os.path.exists({str(web)!r}) and os.path.getsize({str(web)!r}) > 0, True)]; "
              "sys.exit(3)")
    outcome = supervise([sleeper(web), Part("worker", [PY, "-c", worker])],
                        poll_s=0.05, say=lines.append)
    assert outcome.first_to_end == "worker" and outcome.exit_code == 3
    assert outcome.codes["worker"] == 3 and outcome.codes["web"] != 0
    assert any("worker ended with code 3" in line for line in lines)
    assert not _pid_alive(_wait_for(web))


def test_sigterm_stops_every_part_and_ends_cleanly(tmp_path: Path) -> None:
    files = [tmp_path / "web.pid", tmp_path / "worker.pid"]

    def stop_soon() -> None:
        pids = [_wait_for(f) for f in files]
        assert all(_pid_alive(pid) for pid in pids)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=stop_soon, daemon=True).start()
    outcome = supervise([sleeper(f) for f in files], poll_s=0.05, say=lambda line: None)
    assert outcome.first_to_end is None and outcome.exit_code == 0
    assert not any(_pid_alive(_wait_for(f)) for f in files)
    # The handlers are given back: SIGTERM means what it meant before.
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_part_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    pid_file = tmp_path / "stubborn.pid"
    code = (f"import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)")
    lines: list[str] = []
    outcome = supervise([Part("stubborn", [PY, "-c", code]),
                         Part("quitter", [PY, "-c", f"import time, os; "
                                          f"[time.sleep(0.05) for _ in iter(lambda: "
                                          f"os.path.exists({str(pid_file)!r}), True)]"])],
                        grace_s=0.5, poll_s=0.05, say=lines.append)
    assert outcome.first_to_end == "quitter"
    assert outcome.codes["stubborn"] == -signal.SIGKILL
    assert any("killing it" in line for line in lines)

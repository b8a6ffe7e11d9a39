"""Runs the parts of casedesk side by side and stops them together (`casedesk run`).

The parts are separate processes (the web server, a worker): each is started with its own
command line, watched, and stopped with SIGTERM, then SIGKILL after a grace period. When one
part ends by itself the others are stopped too and the supervisor exits with a non-zero code,
so nothing is left half running: a demo whose worker died would otherwise look healthy while
no mail is sent and no SLA sweep runs.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType


@dataclass(frozen=True)
class Part:
    name: str
    argv: Sequence[str]


@dataclass
class Outcome:
    """How the run ended: the part that ended first (None when asked to stop) and the exit
    codes of all parts."""

    first_to_end: str | None
    codes: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.first_to_end is None:
            return 0
        code = self.codes.get(self.first_to_end, 1)
        return code if code > 0 else 1


Say = Callable[[str], None]


def _stop(procs: Mapping[str, subprocess.Popen[bytes]], grace_s: float, say: Say) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop within {grace_s:.0f} s: killing it")
            proc.kill()
            proc.wait()


def supervise(parts: Sequence[Part], *, env: Mapping[str, str] | None = None,
              grace_s: float = 25.0, poll_s: float = 0.2, say: Say = print) -> Outcome:
    """Starts every part, waits until one ends or SIGINT/SIGTERM arrives, then stops all.

    Ctrl-C in a terminal sends SIGINT to the whole process group, so the parts get it
    directly too; the supervisor's part is to make sure every one of them has ended before
    it returns."""
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    outcome = Outcome(first_to_end=None)
    try:
        for part in parts:
            procs[part.name] = subprocess.Popen(list(part.argv), env=env)
            say(f"started {part.name} (pid {procs[part.name].pid})")
        while not stopping:
            ended = [name for name, proc in procs.items() if proc.poll() is not None]
            if ended:
                outcome.first_to_end = ended[0]
                say(f"{ended[0]} ended with code {procs[ended[0]].returncode}: "
                    "stopping the other parts")
                break
            time.sleep(poll_s)
        else:
            say("stopping")
    finally:
        _stop(procs, grace_s, say)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    outcome.codes = {name: proc.returncode for name, proc in procs.items()}
    return outcome

"""CPU time spent by the server under test, read from /proc.

Wall-clock figures on a shared 2-core machine move with whatever else runs; the CPU time the
web workers and their database backends burn per request does not, and it says where a
throughput ceiling comes from (two cores divided by the CPU one request costs).
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name sits in parentheses and may hold spaces: split after it.
    return raw.rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _all_pids() -> list[int]:
    return [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (gunicorn master and its workers)."""
    children: dict[int, list[int]] = {}
    for pid in _all_pids():
        fields = _stat(pid)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def database_backends(database: str) -> list[int]:
    """PostgreSQL backends serving `database` (their title reads
    `postgres: <cluster>: <user> <database> <client> <state>`); other databases on the same
    server, such as other people's test runs, are left out."""
    pids = []
    for pid in _all_pids():
        try:
            title = (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        parts = title.split()
        if title.startswith("postgres:") and len(parts) > 4 and parts[3] == database:
            pids.append(pid)
    return pids


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all processes, all CPUs)."""
    try:
        fields = [int(v) for v in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICK  # guest time is already inside user time


@dataclass(frozen=True)
class CpuSample:
    app: dict[int, float]
    database: dict[int, float]
    client: float
    machine: float
    at: float


def sample(server_pid: int, database: str | None) -> CpuSample:
    return CpuSample(
        app={pid: _cpu_seconds(pid) for pid in process_tree(server_pid)},
        database={pid: _cpu_seconds(pid) for pid in database_backends(database)}
        if database
        else {},
        client=os.times().user + os.times().system,
        machine=_machine_busy_seconds(),
        at=time.monotonic(),
    )


def spent(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU seconds spent between two samples; a process born in between counts in full."""

    def delta(a: dict[int, float], b: dict[int, float]) -> float:
        return sum(max(0.0, cpu - a.get(pid, 0.0)) for pid, cpu in b.items())

    used = {
        "app": delta(before.app, after.app),
        "database": delta(before.database, after.database),
        "client": after.client - before.client,
    }
    # Whatever else ran meanwhile (other people's tests on a shared machine): the noise.
    used["other"] = max(0.0, after.machine - before.machine - sum(used.values()))
    return used


def other_load_pct(before: CpuSample, after: CpuSample) -> float:
    """Share of the machine's CPUs that other work used between two samples, in %."""
    elapsed = max(1e-6, after.at - before.at)
    return 100.0 * spent(before, after)["other"] / (elapsed * (os.cpu_count() or 1))

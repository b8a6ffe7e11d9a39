"""Figures, their targets, the machine they were measured on, and how they are reported."""

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# name -> (comparison, bound); DESIGN.md "Performance targets". Ratios are 1M over 10k.
TARGETS: dict[str, tuple[str, float]] = {
    "api_create_throughput": (">=", 450.0),
    "api_create_p99": ("<=", 100.0),
    "api_create_routing_cost_pct": ("<=", 10.0),
    "sla_sweep_1m_10k": ("<=", 5.0),
    "ingest_email_rate": (">=", 400.0),
    # One `ingest_email` process per message, as an MTA pipe runs it: start to exit.
    "ingest_email_process_ms": ("<=", 1000.0),
    "sla_sweep_1m_0": ("<=", 0.5),
    "kb_suggest_p50": ("<=", 20.0),
    "scorecard_p50_1m": ("<=", 300.0),
    "scorecard_p99_1m": ("<=", 300.0),
    **{
        f"{kind}_first_page_p50_{size}": ("<=", 30.0)
        for kind in ("list", "inbox")
        for size in ("10k", "1m")
    },
    **{
        f"{kind}_first_page_p99_{size}": ("<=", 100.0)
        for kind in ("list", "inbox")
        for size in ("10k", "1m")
    },
    **{
        f"{kind}_first_page_{p}_ratio_1m_10k": ("<=", 2.0)
        for kind in ("list", "inbox")
        for p in ("p50", "p99")
    },
    # The mixed load (bench/mixed.py): agents at work while 100 cases/s arrive. Every page's
    # p99 (client side, under the load), no errors, and the arrivals kept up with.
    **{
        f"mixed_load_p99_{page}": ("<=", 300.0)
        for page in ("inbox", "inbox_poll", "inbox_panels", "case_page", "case_panels", "note",
                     "claim", "transition", "bell", "presence", "api_create", "mail", "max")
    },
    "mixed_load_errors": ("<=", 0.0),
    "mixed_load_arrivals_pct": (">=", 95.0),
    # Live chat (bench/chat.py): 200 chats at once, from a post's start to the other side's
    # stream; every message exactly once and in order.
    "chat_delivery_p99": ("<=", 500.0),
    "chat_lost": ("<=", 0.0),
    "chat_out_of_order": ("<=", 0.0),
    "chat_duplicates": ("<=", 0.0),
    "chat_post_errors": ("<=", 0.0),
    # The console's HTML pages; the plain names are the 1M tenant's.
    **{
        f"{page}_p50{size}": ("<=", 50.0)
        for page in ("inbox_page", "case_page")
        for size in ("", "_10k", "_1m")
    },
}


@dataclass
class Figure:
    name: str
    value: float
    unit: str

    @property
    def target(self) -> str | None:
        rule = TARGETS.get(self.name)
        return f"{rule[0]} {rule[1]:g}" if rule else None

    @property
    def met(self) -> bool | None:
        rule = TARGETS.get(self.name)
        if rule is None:
            return None
        return self.value >= rule[1] if rule[0] == ">=" else self.value <= rule[1]

    def line(self) -> str:
        # Sub-unit figures (a sweep of a few milliseconds, in seconds) keep their digits.
        digits = 1 if abs(self.value) >= 1 or self.value == 0 else 3
        return f"{self.name} {self.value:.{digits}f} {self.unit}"


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (what numpy calls 'linear')."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, memory, CPU model, Python."""
    cpu_model = ""
    memory_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu_model": cpu_model or platform.processor(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


@dataclass
class Report:
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str) -> Figure:
        figure = Figure(name, value, unit)
        self.figures.append(figure)
        # Figures go to stdout as they come, so a long run shows progress and a killed run
        # still leaves what it measured.
        print(figure.line(), flush=True)
        return figure

    def misses(self) -> list[Figure]:
        return [f for f in self.figures if f.met is False]

    def write(self, directory: Path, context: dict[str, Any]) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.strftime("%Y%m%dT%H%M%SZ")
        path = directory / f"results-{stamp}.json"
        payload = {
            "started_at": self.started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            **context,
            "figures": [{**asdict(f), "target": f.target, "met": f.met} for f in self.figures],
            "skipped": self.skipped,
            "details": self.details,
        }
        path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        return path


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(interval: float = 1.0) -> float | None:
    """Share of the machine's CPU in use (by anything) over `interval` seconds, in %."""
    try:
        busy0, total0 = _cpu_ticks()
        time.sleep(interval)
        busy1, total1 = _cpu_ticks()
    except (OSError, ValueError, IndexError):
        return None
    return 100.0 * (busy1 - busy0) / max(1, total1 - total0)


def wait_for_quiet(max_wait_s: float, threshold_pct: float = 25.0) -> float | None:
    """Waits (at most `max_wait_s`) until other work leaves the CPUs mostly idle, so a
    benchmark does not start in the middle of someone else's burst; returns the last
    reading. The figures are only as clean as the machine is quiet: the reading goes into
    the results."""
    deadline = time.monotonic() + max_wait_s
    busy = cpu_busy()
    while busy is not None and busy > threshold_pct and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy

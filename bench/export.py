"""`export_1m_s` (s) and `export_1m_peak_mb` (MB): a streamed CSV export of every case of the
1,000,000-case tenant (`bench-1m`), `GET /api/v1/export/cases?format=csv`.

The export runs in a process of its own (`python -m bench.export`), so its memory is the
export's alone: Django's test client asks the API with an agent's token and reads the
streamed answer to the end, throwing the bytes away, while a thread samples the process's
resident memory every SAMPLE_S seconds. `export_1m_peak_mb` is the highest resident size
the process reached (Django, the app and the export together); the details add the size
just before the request, so the growth the export caused can be read off, and the bytes,
rows and throughput.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the export's own process imports this before Django is set up
    from bench.loader import BenchTenant
    from bench.results import Report

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_S = 0.02
TIMEOUT_S = 3600
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


class _Sampler(threading.Thread):
    """The process's highest resident size while it runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_bytes()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            self.stop.wait(SAMPLE_S)


def measure(token: str, fmt: str) -> dict[str, Any]:
    """In the export's own process: one streamed export through the API, read to the end."""
    import django

    django.setup()
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/export/accounts", {"q": "no such account"})  # warm the URL map
    baseline = _rss_bytes()
    sampler = _Sampler()
    sampler.start()
    started = time.perf_counter()
    response = client.get("/api/v1/export/cases", {"format": fmt})
    if response.status_code != 200:
        raise SystemExit(f"export answered {response.status_code}: {response.content[:200]!r}")
    size = lines = 0
    first_byte_s: float | None = None
    for piece in response.streaming_content:
        if first_byte_s is None:
            first_byte_s = time.perf_counter() - started
        size += len(piece)
        lines += piece.count(b"\n")
    elapsed = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    return {"seconds": elapsed, "first_byte_s": first_byte_s, "bytes": size, "lines": lines,
            "baseline_rss": baseline, "peak_rss": max(sampler.peak, _rss_bytes())}


def run_export(report: Report, bench: BenchTenant | None,
               settle: Callable[[str], None]) -> None:
    """The streamed export of the 1,000,000-case tenant, in a process of its own."""
    from bench.loader import log

    if bench is None:
        report.skipped.append("export_1m: needs PostgreSQL and the 1M load")
        return
    token = next(iter(bench.tokens.values()), None)
    if token is None:
        report.skipped.append("export_1m: the 1M tenant has no API token")
        return
    settle("export_1m")
    log("streamed CSV export of 1,000,000 cases")
    env = {**os.environ, "CASEDESK_ALLOWED_HOSTS": "testserver,localhost",
           "BENCH_EXPORT_TOKEN": token}
    done = subprocess.run([sys.executable, "-m", "bench.export", "csv"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the export process failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    mb = 1024 * 1024
    report.add("export_1m_s", round(figures["seconds"], 2), "s")
    report.add("export_1m_peak_mb", round(figures["peak_rss"] / mb, 1), "MB")
    report.details["export_1m"] = {
        "format": "csv", "rows": figures["lines"] - 1, "bytes": figures["bytes"],
        "first_byte_s": round(figures["first_byte_s"] or 0.0, 3),
        "rows_per_s": round((figures["lines"] - 1) / figures["seconds"]),
        "mb_per_s": round(figures["bytes"] / mb / figures["seconds"], 1),
        "rss_before_mb": round(figures["baseline_rss"] / mb, 1),
        "rss_growth_mb": round((figures["peak_rss"] - figures["baseline_rss"]) / mb, 1),
    }


if __name__ == "__main__":
    print(json.dumps(measure(os.environ["BENCH_EXPORT_TOKEN"], sys.argv[1])), flush=True)

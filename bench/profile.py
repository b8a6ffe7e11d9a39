"""`python -m bench --profile create` (`make profile`): where a created case's time goes.

Two measurements of the same creation load `make bench` runs (`POST /api/v1/cases` with
routing on, 200 rules and the default SLA policies):

- **CPU, by phase.** The real server (`casedesk serve`, gunicorn gthread workers) is sampled
  by py-spy (attached to the gunicorn master with `--subprocesses`, idle threads left out, so
  a sample is CPU spent, not waiting on the database) while 8 clients create cases. The
  samples are written as collapsed stacks (`profile-create.txt`) and drawn as a flame graph
  (`profile-create.svg`, drawn here: py-spy's own SVG cannot be had with the raw stacks from
  one run). Each sample is put in one phase by the innermost frame that names one (`PHASES`):
  a routing rule's ORM query counts as routing, the ORM insert of the case as inserts.
- **SQL per case.** The same bodies are posted in-process through Django's test client on one
  database connection traced by libpq (`PQtrace`): every statement the server sends and every
  round trip (a `ReadyForQuery`: one wait for the database) is counted, BEGIN and COMMIT
  included. Only PostgreSQL is traced (SQLite has no round trips).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection

from bench import scenarios
from bench.database import BENCH_DIR
from bench.loader import BenchTenant, log
from bench.results import Report
from bench.server import Server

SAMPLE_RATE = 250  # per second and process: enough samples in 20 s to see a 1 % phase
IN_PROCESS_CASES = 200

# (phase, pattern on a frame "function (path:line)"), most specific first is not needed:
# a stack's phase is the innermost frame any pattern matches.
PHASES: tuple[tuple[str, str], ...] = (
    ("auth", r"casedesk/tenancy/(api_auth|services)\.py"),
    ("numbering", r"casedesk/cases/numbering\.py"),
    ("routing", r"casedesk/routing/"),
    ("sla", r"casedesk/(sla/|cases/sla_clocks\.py)"),
    ("timeline", r"casedesk/cases/timeline\.py"),
    ("outbox", r"casedesk/(mail/outbox|automation/webhooks)"),
    ("automation", r"casedesk/automation/"),
    ("assist", r"casedesk/assist/"),
    ("reports", r"casedesk/reports/"),
    ("idempotency", r"^_idempotent"),
    ("validation", r"casedesk/(cases/(schemas|customfields|picklists)|core/text)"),
    ("inserts", r"casedesk/cases/(creation|writing|changes|models)\.py"),
    ("handler", r"casedesk/cases/api\.py"),
    ("response", r"^_result_to_response|ninja/renderers|django/core/serializers|^dumps "),
    ("request parsing", r"ninja/(signature|params|parser)|_get_values"),
    ("middleware", r"casedesk/core/(middleware|timing)|django/(middleware|contrib)"),
    ("django", r"django/core/handlers|django/http"),
    ("server", r"gunicorn/"),
)
_COMPILED = tuple((name, re.compile(pattern)) for name, pattern in PHASES)


def phase_of(frames: list[str]) -> str:
    """The phase of one sampled stack (root first): the innermost frame a phase names."""
    for frame in reversed(frames):
        for name, pattern in _COMPILED:
            if pattern.search(frame):
                return name
    return "other"


def read_collapsed(lines: Iterable[str]) -> Counter[tuple[str, ...]]:
    """py-spy's raw output: `frame;frame;… count` per line, root first. With
    `--subprocesses` the first frames name the process and its parents; they are dropped."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        while frames and frames[0].startswith("process "):
            frames = frames[1:]
        stacks[tuple(frames)] += int(count)
    return stacks


def phase_shares(stacks: Counter[tuple[str, ...]]) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for frames, count in stacks.items():
        totals[phase_of(list(frames))] += count
    whole = sum(totals.values()) or 1
    return {name: round(100 * n / whole, 1) for name, n in totals.most_common()}


@dataclass
class _Node:
    name: str
    count: int = 0
    children: dict[str, _Node] = field(default_factory=dict)


def flame_svg(stacks: Counter[tuple[str, ...]], title: str, width: int = 1600) -> str:
    """A flame graph (root at the bottom) of collapsed stacks, as a standalone SVG whose
    boxes carry their frame and share in a tooltip."""
    root = _Node("all")
    for frames, count in stacks.items():
        node = root
        node.count += count
        for frame in frames:
            node = node.children.setdefault(frame, _Node(frame))
            node.count += count
    total = root.count or 1
    row = 17
    boxes: list[str] = []
    depth_max = 0

    def draw(node: _Node, x: float, depth: int) -> None:
        nonlocal depth_max
        w = width * node.count / total
        if w < 0.3:
            return
        depth_max = max(depth_max, depth)
        share = 100 * node.count / total
        label = node.name if w > 60 else ""
        hue = 10 + (hash(node.name.split(" (")[0]) % 50)
        boxes.append(
            f'<g><title>{html.escape(node.name)} — {node.count} samples, {share:.2f} %</title>'
            f'<rect x="{x:.1f}" y="{{y{depth}}}" width="{w:.1f}" height="{row - 1}" '
            f'fill="hsl({hue},85%,62%)"/>'
            + (f'<text x="{x + 3:.1f}" y="{{t{depth}}}" font-size="11" '
               f'font-family="monospace">{html.escape(label[: int(w / 6.8)])}</text>'
               if label else "")
            + "</g>"
        )
        child_x = x
        for child in sorted(node.children.values(), key=lambda c: c.name):
            draw(child, child_x, depth + 1)
            child_x += width * child.count / total

    draw(root, 0.0, 0)
    height = (depth_max + 3) * row
    body = "\n".join(boxes)
    for depth in range(depth_max + 1):
        y = height - (depth + 1) * row
        body = body.replace(f"{{y{depth}}}", str(y)).replace(f"{{t{depth}}}", str(y + 12))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + row}">'
        f'<text x="4" y="13" font-size="13" font-family="sans-serif">{html.escape(title)}'
        f"</text>\n{body}\n</svg>\n"
    )


def _sample(server: Server, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [_py_spy(), "record", "--pid", str(server.pid), "--subprocesses", "--nonblocking", "--gil",
         "--rate", str(SAMPLE_RATE), "--duration", str(int(seconds)), "--format", "raw",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _py_spy() -> str:
    """py-spy beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy is not installed: `make install` installs the dev extra.")
    return found


@dataclass(frozen=True)
class SqlCounts:
    cases: int
    statements: float
    round_trips: float
    transactions: float
    by_kind: dict[str, float]


def count_sql(trace: str, cases: int) -> SqlCounts:
    """Statements and round trips in a libpq trace (frontend messages `F`, backend `B`). A
    statement is a simple `Query` or an extended-protocol `Execute` (psycopg prepares a
    statement it has run a few times, and then sends only Bind/Execute: by kind those count
    as `prepared`, their text being named once in an earlier `Parse`)."""
    statements = round_trips = transactions = 0
    kinds: Counter[str] = Counter()
    for line in trace.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        direction, message = parts[0], parts[2].strip()
        if direction == "B" and message == "ReadyForQuery":
            round_trips += 1
        elif direction == "F" and message == "Query":
            text = parts[3].strip().strip('"') if len(parts) > 3 else ""
            verb = text.split(None, 1)[0].upper() if text else "?"
            if verb == "BEGIN":
                transactions += 1
            kinds[verb] += 1
            statements += 1
        elif direction == "F" and message == "Execute":
            kinds["prepared"] += 1
            statements += 1
    per = max(cases, 1)
    return SqlCounts(cases, round(statements / per, 2), round(round_trips / per, 2),
                     round(transactions / per, 2),
                     {k: round(v / per, 2) for k, v in kinds.most_common()})


def trace_creations(bench: BenchTenant, bodies: list[bytes], token: str) -> SqlCounts:
    """Posts `IN_PROCESS_CASES` bodies through the whole Django stack in this process, on one
    database connection traced by libpq. Django closes a request's connection when it ends;
    that is switched off meanwhile, because libpq buffers a trace per connection and a closed
    connection's last lines would be lost."""
    from django.core import signals
    from django.db import close_old_connections
    from django.test import Client
    from psycopg import pq

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    # Warm: the first requests import and fill per-process caches the server keeps too.
    for body in bodies[:20]:
        client.post("/api/v1/cases", body, content_type="application/json")
    handle = tempfile.NamedTemporaryFile("w+", suffix=".pqtrace", delete=False)  # noqa: SIM115
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        connection.ensure_connection()
        raw = connection.connection.pgconn
        raw.trace(handle.fileno())
        raw.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            for body in bodies[20 : 20 + IN_PROCESS_CASES]:
                response = client.post("/api/v1/cases", body, content_type="application/json")
                if response.status_code != 201:
                    raise RuntimeError(f"creating a case answered {response.status_code}: "
                                       f"{response.content[:300]!r}")
        finally:
            raw.untrace()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        connection.close()
    handle.seek(0)
    text = handle.read()
    handle.close()
    os.unlink(handle.name)
    # Kept beside the flame graph: the protocol messages of the traced creations.
    (BENCH_DIR / "profile-create.pqtrace").write_text(text, encoding="utf-8")
    return count_sql(text, IN_PROCESS_CASES)


def run_profile_create(report: Report, bench: BenchTenant, args: Any, db: Any) -> Path:
    """The profile of case creation; returns the flame graph's path."""
    from bench.routing import ensure_rules
    from bench.server import running
    from casedesk.sla.policies import sla_seed_defaults
    from casedesk.tenancy.models import Tenant

    _py_spy()

    tokens = [bench.tokens[uid] for uid in bench.agent_ids]
    bodies = scenarios.create_bodies(bench, 4000)
    ensure_rules(bench.tenant)
    sla_seed_defaults(bench.tenant, datetime.now(UTC))
    Tenant.objects.filter(pk=bench.tenant.pk).update(routing_enabled=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    raw = BENCH_DIR / "profile-create.txt"
    workers = max(args.worker_counts) if args.worker_counts else 2
    log(f"profiling case creation: {workers} workers, {args.clients} clients, "
        f"{args.duration:g} s sampled by py-spy at {SAMPLE_RATE}/s")
    with running(db, workers, BENCH_DIR) as server:
        sampler: subprocess.Popen[bytes] | None = None
        started = threading.Event()

        def start_sampling() -> None:
            nonlocal sampler
            time.sleep(args.warmup)
            sampler = _sample(server, args.duration, raw)
            started.set()

        starter = threading.Thread(target=start_sampling, daemon=True)
        starter.start()
        result = scenarios.run_create(server, tokens, bodies, clients=args.clients,
                                      warmup_s=args.warmup, duration_s=args.duration,
                                      database=db.name)
        started.wait(timeout=30)
        if sampler is not None:
            try:
                _, err = sampler.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                sampler.send_signal(signal.SIGINT)
                _, err = sampler.communicate(timeout=30)
            if sampler.returncode not in (0, None) and not raw.exists():
                raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
    stacks = read_collapsed(raw.read_text(encoding="utf-8").splitlines())
    samples = sum(stacks.values())
    shares = phase_shares(stacks)
    svg = BENCH_DIR / "profile-create.svg"
    svg.write_text(flame_svg(stacks, f"casedesk: POST /api/v1/cases, {result.created} cases "
                             f"created in {args.duration:g} s, {samples} samples"),
                   encoding="utf-8")
    report.add("profile_create_samples", samples, "samples")
    report.add("profile_create_throughput", result.throughput, "cases/s")
    report.add("profile_create_cpu_app", result.app_cpu_ms, "ms/case")
    report.add("profile_create_cpu_db", result.database_cpu_ms, "ms/case")
    for name, share in shares.items():
        report.add(f"profile_create_pct_{name.replace(' ', '_')}", share, "%")
    report.details["profile_create_phases"] = shares
    if connection.vendor == "postgresql":
        counts = trace_creations(bench, bodies[2000:], tokens[0])
        report.add("create_sql_statements", counts.statements, "per case")
        report.add("create_sql_round_trips", counts.round_trips, "per case")
        report.add("create_sql_transactions", counts.transactions, "per case")
        report.details["create_sql_by_kind"] = counts.by_kind
    (BENCH_DIR / "profile-create.json").write_text(
        json.dumps({"phases": shares, "samples": samples,
                    "throughput": result.throughput,
                    "details": {k: v for k, v in report.details.items()
                                if k.startswith(("profile_", "create_sql"))}}, indent=2),
        encoding="utf-8")
    log(f"flame graph: {svg}; collapsed stacks: {raw}")
    return svg


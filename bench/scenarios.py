"""The HTTP benchmarks: concurrent case creation, and serial reads: the first pages of the case
list and the inbox through the API, and the console's inbox and case pages."""

import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import cpu
from bench.http import Connection, HttpError, Response
from bench.loader import (
    DESCRIPTIONS,
    PRIORITIES,
    QUEUES,
    SOURCES,
    SUBJECTS,
    BenchTenant,
    classifications,
    log,
    pick,
)
from bench.results import percentile
from bench.server import Server
from casedesk.core.priority import Priority

MAX_ERRORS = 200  # a run that fails this often measures nothing useful: stop it


# --- Creating cases ----------------------------------------------------------------------------


def create_bodies(bench: BenchTenant, count: int, seed: int = 7) -> list[bytes]:
    """What an integration sends: a subject and a few paragraphs, a classification the
    picklists accept, a contact (sometimes its account too), a queue, now and then an owner
    and tags. Encoded up front so the client spends nothing on JSON while measuring."""
    rng = random.Random(seed)
    classes = classifications()
    bodies = []
    for _ in range(count):
        contact_id, account_id = rng.choice(bench.contacts)
        type_, category, subcategory = rng.choice(classes)
        body: dict[str, Any] = {
            "subject": f"{rng.choice(SUBJECTS)} (order {rng.randrange(10_000, 99_999)})",
            "description": "\n\n".join(rng.sample(DESCRIPTIONS, rng.randint(1, 3))),
            "priority": Priority(pick(rng, PRIORITIES)).label,
            "type": type_,
            "category": category,
            "subcategory": subcategory,
            "source": pick(rng, SOURCES),
            "contact_id": contact_id,
        }
        if rng.random() < 0.5 and account_id is not None:
            body["account_id"] = account_id
        queue = pick(rng, QUEUES)
        if queue is not None:
            body["queue_id"] = bench.queue_ids[queue]
        if rng.random() < 0.1:
            body["owner_id"] = rng.choice(bench.agent_ids)
        if rng.random() < 0.2:
            body["tags"] = rng.sample(["vip", "renewal", "outage", "q4", "emea"], 2)
        bodies.append(json.dumps(body).encode())
    return bodies


@dataclass
class _ClientLog:
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""


@dataclass
class CreateResult:
    workers: int
    clients: int
    duration_s: float
    created: int
    errors: int
    throughput: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_p50_ms: float
    server_p99_ms: float
    first_error: str
    # CPU per created case over the measured window: web workers, their PostgreSQL
    # backends, this client, and anything else that ran on the machine meanwhile.
    app_cpu_ms: float
    database_cpu_ms: float
    client_cpu_ms: float
    other_cpu_ms: float
    other_load_pct: float  # share of the machine other work took during the window


def run_create(
    server: Server,
    tokens: list[str],
    bodies: list[bytes],
    *,
    clients: int,
    warmup_s: float,
    duration_s: float,
    database: str | None,
) -> CreateResult:
    """`clients` threads POST /api/v1/cases back to back on kept-alive connections. The
    first `warmup_s` seconds are not counted (lazy imports, first connections, caches);
    a request counts when it started and finished inside the measured window."""
    started = time.perf_counter()
    window_start = started + warmup_s
    window_end = window_start + duration_s
    # A ceiling far above anything 2 cores reach, so the loop is bounded in count as well.
    max_requests = int((warmup_s + duration_s) * 5000 / clients) + 1
    logs = [_ClientLog() for _ in range(clients)]
    abort = threading.Event()

    def client(index: int) -> None:
        conn = Connection(server.host, server.port)
        record = logs[index]
        auth = f"Bearer {tokens[index % len(tokens)]}"
        position = index
        try:
            for _ in range(max_requests):
                if abort.is_set() or time.perf_counter() >= window_end:
                    break
                headers = {"Authorization": auth, "Content-Type": "application/json"}
                if position % 2:  # half the integrations make their retries safe
                    headers["Idempotency-Key"] = uuid.uuid4().hex
                body = bodies[position % len(bodies)]
                position += clients
                t0 = time.perf_counter()
                try:
                    response: Response | None = conn.request("POST", "/api/v1/cases", headers, body)
                except (OSError, HttpError) as exc:
                    response = None
                    error = f"{type(exc).__name__}: {exc}"
                t1 = time.perf_counter()
                if response is not None and response.status == 201:
                    if t0 >= window_start and t1 <= window_end:
                        record.latencies_ms.append((t1 - t0) * 1000)
                        if response.server_ms is not None:
                            record.server_ms.append(response.server_ms)
                    continue
                if response is not None:
                    error = f"HTTP {response.status}: {response.body[:300]!r}"
                record.errors += 1
                record.first_error = record.first_error or error
                if sum(r.errors for r in logs) > MAX_ERRORS:
                    abort.set()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, window_start - time.perf_counter()))
    cpu_before = cpu.sample(server.pid, database)
    time.sleep(max(0.0, window_end - time.perf_counter()))
    cpu_after = cpu.sample(server.pid, database)
    cpu_used = cpu.spent(cpu_before, cpu_after)
    for thread in threads:
        thread.join(timeout=60)
    latencies = [ms for r in logs for ms in r.latencies_ms]
    server_ms = [ms for r in logs for ms in r.server_ms]
    errors = sum(r.errors for r in logs)
    first_error = next((r.first_error for r in logs if r.first_error), "")
    if abort.is_set():
        raise RuntimeError(f"Case creation failed {errors} times; first: {first_error}")
    return CreateResult(
        workers=server.workers,
        clients=clients,
        duration_s=duration_s,
        created=len(latencies),
        errors=errors,
        throughput=len(latencies) / duration_s,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies, default=float("nan")),
        server_p50_ms=percentile(server_ms, 50),
        server_p99_ms=percentile(server_ms, 99),
        first_error=first_error,
        **{
            f"{part}_cpu_ms": seconds * 1000 / max(1, len(latencies))
            for part, seconds in cpu_used.items()
        },
        other_load_pct=cpu.other_load_pct(cpu_before, cpu_after),
    )


# --- Reading first pages -----------------------------------------------------------------------


def _json_items(body: bytes) -> int:
    return len(json.loads(body)["items"])


_INBOX_ROW = re.compile(rb'<tr id="case-')
_TIMELINE_ENTRY = re.compile(rb'<li class="entry ')


def _inbox_rows(body: bytes) -> int:
    return len(_INBOX_ROW.findall(body))


def _timeline_entries(body: bytes) -> int:
    return len(_TIMELINE_ENTRY.findall(body))


@dataclass(frozen=True)
class Probe:
    label: str
    path: str
    headers: dict[str, str]  # how it is signed in: a bearer token or the console's cookies
    items: Callable[[bytes], int] = _json_items  # what a page shows, counted from its body


def _bearer(bench: BenchTenant, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {bench.tokens[user_id]}"}


def _signed_in(bench: BenchTenant, user_id: int) -> dict[str, str]:
    return {"Cookie": bench.cookies[user_id]}


def list_probes(bench: BenchTenant, limit: int = 50) -> list[Probe]:
    """Filters an agent really uses on the case list, acting as agent 1."""
    headers = _bearer(bench, bench.me)
    q = bench.queue_ids
    accounts = sorted({a for _, a in bench.contacts if a is not None})
    picked = [accounts[(k * 7919) % len(accounts)] for k in range(5)]
    filters = [
        ("status=open&queue=support", f"status=open&queue={q['Support']}"),
        ("status=new&queue=engineering", f"status=new&queue={q['Engineering']}"),
        ("priority=urgent", "priority=urgent"),
        ("owner=me&status=in_progress", "owner=me&status=in_progress"),
        ("owner=me", "owner=me"),
        ("open&queue=finance", f"open=true&queue={q['Finance']}"),
        ("open&owner=none", "open=true&owner=none"),
        *((f"account#{k}", f"account={account}") for k, account in enumerate(picked)),
    ]
    return [
        Probe(label, f"/api/v1/cases?{query}&limit={limit}", headers) for label, query in filters
    ]


def inbox_agents(bench: BenchTenant) -> list[int]:
    """Agents 1 (Support and Engineering), 2 (Support) and 7 (Finance)."""
    return [bench.agent_ids[0], bench.agent_ids[1], bench.agent_ids[6]]


def _agent_label(bench: BenchTenant, user_id: int) -> str:
    return f"agent{bench.agent_ids.index(user_id) + 1:02d}"


def inbox_probes(bench: BenchTenant, limit: int = 50) -> list[Probe]:
    """The inbox API's first page for the three inbox agents."""
    return [
        Probe(
            f"inbox {_agent_label(bench, uid)}",
            f"/api/v1/inbox/cases?limit={limit}",
            _bearer(bench, uid),
        )
        for uid in inbox_agents(bench)
    ]


def inbox_page_probes(bench: BenchTenant) -> list[Probe]:
    """The console's inbox page (`GET /inbox/cases`, 50 rows) for the same three agents,
    signed in (`loader.open_sessions`)."""
    return [
        Probe(
            f"inbox page {_agent_label(bench, uid)}",
            "/inbox/cases",
            _signed_in(bench, uid),
            _inbox_rows,
        )
        for uid in inbox_agents(bench)
    ]


def case_page_probes(bench: BenchTenant, cases: list[tuple[str, str]]) -> list[Probe]:
    """The console's case page (`GET /cases/CS-1042`) of each of `cases` (number as shown,
    kind; `loader.page_cases`), opened by agent 1."""
    headers = _signed_in(bench, bench.me)
    return [
        Probe(f"{number} {kind}", f"/cases/{number}", headers, _timeline_entries)
        for number, kind in cases
    ]


@dataclass
class ReadResult:
    requests: int
    p50_ms: float
    p99_ms: float
    client_p50_ms: float
    client_p99_ms: float
    by_probe: dict[str, dict[str, float]]
    first_page_items: dict[str, int]
    other_load_pct: float  # share of the machine other work took while measuring


def _check(probe: Probe, response: Response) -> float:
    """The server time of a request that answered with the page itself; a redirect (to the
    login page, when the session is not accepted) or an error would time something else."""
    if response.status == 200 and response.server_ms is not None:
        return response.server_ms
    if response.status == 302 and probe.headers.get("Cookie"):
        raise RuntimeError(
            f"{probe.path}: HTTP 302, redirected (to the login page?): the console session "
            "made by the bench is not accepted"
        )
    raise RuntimeError(
        f"{probe.path}: HTTP {response.status}"
        f"{'' if response.server_ms is not None else ' without Server-Timing'} "
        f"{response.body[:300]!r}"
    )


def run_reads(
    server: Server,
    probes: list[Probe],
    *,
    warmup: int,
    count: int,
    database: str | None,
    time_limit_s: float = 180.0,
) -> ReadResult:
    """One client, one request at a time, cycling through the probes, so each figure is the
    cost of one request rather than of queueing behind others. The time is the server's
    own (Server-Timing), which excludes the client and the network."""
    conn = Connection(server.host, server.port)
    items: dict[str, int] = {}
    per_probe: dict[str, list[float]] = {p.label: [] for p in probes}
    server_ms: list[float] = []
    client_ms: list[float] = []
    deadline = time.monotonic() + time_limit_s
    cpu_before = cpu_after = cpu.sample(server.pid, database)
    try:
        for probe in probes:  # each probe once, checked: 200 and a real page
            response = conn.request("GET", probe.path, probe.headers)
            _check(probe, response)
            items[probe.label] = probe.items(response.body)
        for n in range(warmup + count):
            if time.monotonic() > deadline:
                log(f"read benchmark stopped at its time limit after {n} requests")
                break
            probe = probes[n % len(probes)]
            t0 = time.perf_counter()
            response = conn.request("GET", probe.path, probe.headers)
            t1 = time.perf_counter()
            took_ms = _check(probe, response)
            if n == warmup:
                cpu_before = cpu.sample(server.pid, database)
            if n >= warmup:
                server_ms.append(took_ms)
                client_ms.append((t1 - t0) * 1000)
                per_probe[probe.label].append(took_ms)
        cpu_after = cpu.sample(server.pid, database)
    finally:
        conn.close()
    return ReadResult(
        requests=len(server_ms),
        p50_ms=percentile(server_ms, 50),
        p99_ms=percentile(server_ms, 99),
        client_p50_ms=percentile(client_ms, 50),
        client_p99_ms=percentile(client_ms, 99),
        by_probe={
            label: {
                "p50_ms": round(percentile(v, 50), 2),
                "p99_ms": round(percentile(v, 99), 2),
                "max_ms": round(max(v, default=float("nan")), 2),
            }
            for label, v in per_probe.items()
        },
        first_page_items=items,
        other_load_pct=cpu.other_load_pct(cpu_before, cpu_after) if server_ms else 0.0,
    )

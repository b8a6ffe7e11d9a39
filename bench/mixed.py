"""`mixed_load_*`: the desk under a working day's load (issue 19). Agents work in the console
while new cases arrive through the API and by mail, all at once, against the real server.

- AGENTS agents sign in through the login form and work as a person does: the inbox polls
  every 15 s, the bell every 5 s, an open case page reports presence every 4 s; each agent
  takes a case from the inbox (claiming it first when nobody owns it), opens its page (and
  whatever the page loads after it: since the case page renders its panels and records the
  agent's presence itself, nothing), reads, writes an internal note or moves the case on,
  and goes back to the inbox (bench/locustfiles/mixed_users.py has the think times). The
  polls send what the page shows, as the browser does: the bell its count (`?seen=N`), the
  presence poll the digest of its notice (`seen`); each answers 204 while that is unchanged.
  After a note or a move the page asks its panels again, as the answer's
  `casedesk:case-changed` makes the browser do (`changed_panels`).
- ARRIVALS_PER_S new cases a second arrive, MAIL_SHARE of them as mail sent over SMTP to
  `casedesk smtpd` (one connection per message, as from many senders) and the rest as
  `POST /api/v1/cases` with bearer tokens (the creation figure's bodies), each sender paced
  at a constant rate, so arrivals do not slow down when the server does.

The load tool is locust (a registry package), run headless in its own process (its gevent
patches the standard library, which must not happen to this Django process) against
`casedesk serve` with its default worker count. Its first `warmup_s` seconds (sign-ins,
first connections, caches), and every agent's sign-in, are not counted: the locustfile
resets the tool's statistics then, and ends the run `duration_s` later. The figures come
from locust's CSV statistics of that window.

A claim or a move that another agent's change beat is answered 409 with the reason, as the
product promises; those are counted as `mixed_load_conflicts`, not as errors. Every other
answer but the expected one, and every failed connection, is an error (a request that found
its kept-alive connection closed before any answer is sent again once, as browsers do, and
counted as `mixed_load_resent`).

This module's top has no Django in it: the locustfile imports the plan, `classify` and the
page readers from here in a process that never sets Django up.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import cpu

SLUG = "bench-mixed"
BASE_CASES = 50_000
AGENTS = 50
ARRIVALS_PER_S = 100.0
MAIL_SHARE = 0.25
# On SQLite every write waits for the one writer: a smaller desk (say so in the report).
SQLITE_AGENTS, SQLITE_ARRIVALS_PER_S = 10, 20.0
# One simulated integration (or mail server) sends at most this many a second, so a slow
# answer delays only its own sender's next request by a little.
PER_SENDER_RATE = 1.0
WARMUP_S = 30.0
DURATION_S = 300.0
P99_TARGET_MS = 300.0
SIGN_IN_GRACE_S = 120.0  # the locustfile waits at most this long for all agents' sign-ins
# Not a secret: the bench tenant's agents live on a `.invalid` domain in a bench database.
PASSWORD = "bench-mixed-agent-2026"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfiles" / "mixed_users.py"
CONFIG_ENV = "CASEDESK_MIXED_CONFIG"
# The request names the locustfile uses; each gets `mixed_load_p50_<name>` and `…_p99_<name>`.
PAGES: dict[str, str] = {
    "inbox": "GET /inbox/cases, the whole page (after sign-in and after each case)",
    "inbox_poll": "GET /inbox/cases as htmx's 15 s poll (the inbox body)",
    "inbox_panels": "what the inbox page loads after it: nothing since the page renders its "
    "tasks due today",
    "case_page": "GET /cases/<number>",
    "case_panels": "what the case page asks again after a note or a move (casedesk:case-changed:"
    " its panels; the page itself renders them, nothing loads after it)",
    "note": "POST /cases/<number>/notes, an internal note",
    "claim": "POST /cases/<number>/claim of an unowned inbox case",
    "transition": "POST /cases/<number>/transition",
    "bell": "GET /notifications/bell?seen=<count shown>, every 5 s (204: unchanged)",
    "presence": "POST /cases/<number>/presence, every 4 s on a case page (204: unchanged)",
    "api_create": "POST /api/v1/cases",
    "mail": "one message over SMTP to casedesk smtpd",
}
ARRIVALS = ("api_create", "mail")
# A request that found its kept-alive connection closed before any answer, and was sent
# again (see the locustfile's `judged`): counted apart, not as the page's.
RESENT = "resent"
CONFLICT_STATUS = 409
# 409 on these is a lost race, answered as designed; anywhere else it is an error.
RACY = frozenset({"claim", "transition"})


# --- Pure parts: the plan, the answers, the figures ---------------------------------------------


def pacing(rate: float, per_sender: float = PER_SENDER_RATE) -> tuple[int, float]:
    """Senders needed for `rate` a second when one sends at most `per_sender` a second, and
    each sender's rate (their sum is `rate` exactly)."""
    if rate <= 0:
        return 0, 0.0
    senders = max(1, math.ceil(rate / per_sender - 1e-9))
    return senders, rate / senders


@dataclass(frozen=True)
class Plan:
    agents: int
    arrivals_per_s: float
    mail_share: float
    warmup_s: float
    duration_s: float

    @property
    def api_rate(self) -> float:
        return self.arrivals_per_s * (1 - self.mail_share)

    @property
    def mail_rate(self) -> float:
        return self.arrivals_per_s * self.mail_share

    def senders(self) -> dict[str, tuple[int, float]]:
        return {"api_create": pacing(self.api_rate), "mail": pacing(self.mail_rate)}

    @property
    def users(self) -> int:
        return self.agents + sum(n for n, _ in self.senders().values())


def plan_for(vendor: str, duration_s: float, warmup_s: float = WARMUP_S) -> Plan:
    small = vendor != "postgresql"
    return Plan(
        agents=SQLITE_AGENTS if small else AGENTS,
        arrivals_per_s=SQLITE_ARRIVALS_PER_S if small else ARRIVALS_PER_S,
        mail_share=MAIL_SHARE,
        warmup_s=warmup_s,
        duration_s=duration_s,
    )


def classify(name: str, status: int | None, expected: tuple[int, ...] = (200,)) -> str:
    """`ok`, `conflict` (a claim or move another agent's change beat: 409, by design) or
    `error` (no answer, or any other status)."""
    if status is not None and status in expected:
        return "ok"
    if status == CONFLICT_STATUS and name in RACY:
        return "conflict"
    return "error"


# What an agent's browser reads off the pages: the inbox's rows, the panels a page loads as
# soon as it is shown, the CSRF token, the moves the case page offers.
_ROW = re.compile(r'<tr id="case-\d+">(.*?)</tr>', re.S)
_LINK = re.compile(r'href="/cases/([^"/?#]+)"')
_TAG = re.compile(r"<[a-z][^>]*>", re.S)
_HX_GET = re.compile(r'hx-get="([^"]+)"')
_CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrfmiddlewaretoken" value="([^"]+)"')
_MOVE = re.compile(r'data-testid="move-([a-z_]+)"')
_BELL = re.compile(r'hx-get="(/notifications/bell[^"]*)"')
_BASIS = re.compile(r'data-basis="([^"]*)"')
_CASE_CHANGED = "casedesk:case-changed"
_PRESENCE_SEEN = re.compile(r'data-seen="([^"]*)"')
_STATUS = re.compile(r'class="pill status-([a-z_]+)"')
# Closing needs every assignment closed and re-opening has its limits: agents move cases
# forward and leave those to the cases that need them.
_NOT_MOVED_TO = frozenset({"closed"})
_DONE = frozenset({"resolved", "closed"})


def inbox_rows(body: str) -> list[tuple[str, bool]]:
    """(number as shown, unowned?) of each inbox row: an unowned row has a Claim form."""
    rows = []
    for match in _ROW.finditer(body):
        link = _LINK.search(match.group(1))
        if link:
            rows.append((link.group(1), '/claim"' in match.group(1)))
    return rows


def load_panels(body: str) -> list[str]:
    """What the page fetches as soon as it is shown (`hx-get` with `hx-trigger="load…"`)."""
    urls = []
    for tag in _TAG.findall(body):
        found = _HX_GET.search(tag)
        if found and 'hx-trigger="load' in tag:
            urls.append(html.unescape(found.group(1)))
    return urls


def changed_panels(page: str, answer: str) -> list[str]:
    """What the browser asks again after an action answered that the case changed
    (`casedesk:case-changed` after the answer's swap): each element listening for it, in the
    answer's swapped-in parts (the side column's cards) or else in the page, once each; the
    suggested articles with the basis they show (kb/case_panel.js)."""
    urls: dict[str, None] = {}
    for body in (answer, page):
        for tag in _TAG.findall(body):
            found = _HX_GET.search(tag)
            if found and _CASE_CHANGED in tag:
                urls.setdefault(html.unescape(found.group(1)), None)
    basis = _BASIS.search(page)
    return [
        f"{url}?basis={basis.group(1)}" if basis and "/suggestions" in url else url for url in urls
    ]


def bell_url(body: str) -> str | None:
    """What the page's bell polls: its URL carries the count it shows."""
    found = _BELL.search(body)
    return html.unescape(found.group(1)) if found else None


def presence_seen(body: str) -> str:
    """The digest of the collision notice the case page (or its last poll) shows; the
    page's script sends it with the next poll."""
    found = _PRESENCE_SEEN.search(body)
    return found.group(1) if found else ""


def csrf_token(body: str) -> str:
    """The token a page gives its forms (the login form's field, or htmx's header)."""
    found = _CSRF.search(body)
    return (found.group(1) or found.group(2)) if found else ""


def case_moves(page: str) -> list[str]:
    """The moves the case page offers, without closing, or re-opening a done case."""
    status = _STATUS.search(page)
    done = status is not None and status.group(1) in _DONE
    return [m for m in _MOVE.findall(page) if m not in _NOT_MOVED_TO and not (m == "open" and done)]


@dataclass(frozen=True)
class Row:
    """One request name's line of locust's `*_stats.csv` (times in ms)."""

    name: str
    requests: int
    failures: int
    p50: float
    p99: float
    max: float
    average: float


def read_stats(text: str) -> dict[str, Row]:
    """Locust's stats CSV by request name, without its `Aggregated` line."""
    rows: dict[str, Row] = {}
    for line in csv.DictReader(io.StringIO(text)):
        name = line.get("Name") or ""
        if not name or name == "Aggregated":
            continue
        rows[name] = Row(
            name=name,
            requests=int(line["Request Count"]),
            failures=int(line["Failure Count"]),
            p50=_number(line.get("50%")),
            p99=_number(line.get("99%")),
            max=_number(line.get("Max Response Time")),
            average=_number(line.get("Average Response Time")),
        )
    return rows


def _number(raw: str | None) -> float:
    try:
        return float(raw) if raw not in (None, "", "N/A") else float("nan")
    except ValueError:
        return float("nan")


def figures(
    rows: dict[str, Row], counts: dict[str, int], plan: Plan, seconds: float
) -> list[tuple[str, float, str]]:
    """The `mixed_load_*` figures from the measured window's statistics: requests, errors
    (locust's failures), conflicts, the arrival rate achieved (and as a share of the plan),
    p50 and p99 per page or endpoint that was requested, and the worst p99."""
    requests = sum(r.requests for n, r in rows.items() if n != RESENT)
    errors = sum(r.failures for r in rows.values())
    arrived = sum(rows[n].requests - rows[n].failures for n in ARRIVALS if n in rows)
    rate = arrived / seconds if seconds > 0 else 0.0
    out: list[tuple[str, float, str]] = [
        ("mixed_load_requests", float(requests), "requests"),
        ("mixed_load_errors", float(errors), "errors"),
        ("mixed_load_conflicts", float(counts.get("conflicts", 0)), "conflicts"),
        ("mixed_load_resent", float(rows[RESENT].requests if RESENT in rows else 0), "requests"),
        ("mixed_load_arrivals_rate", rate, "cases/s"),
        (
            "mixed_load_arrivals_pct",
            100 * rate / plan.arrivals_per_s if plan.arrivals_per_s else 0.0,
            "%",
        ),
    ]
    worst = float("nan")
    for name in PAGES:
        row = rows.get(name)
        if row is None or row.requests == 0:
            continue
        out.append((f"mixed_load_p50_{name}", row.p50, "ms"))
        out.append((f"mixed_load_p99_{name}", row.p99, "ms"))
        if not math.isnan(row.p99) and (math.isnan(worst) or row.p99 > worst):
            worst = row.p99
    if not math.isnan(worst):
        out.append(("mixed_load_p99_max", worst, "ms"))
    return out


def requests_per_s_of_agents(rows: dict[str, Row], seconds: float) -> float:
    return sum(r.requests for n, r in rows.items() if n not in ARRIVALS) / max(seconds, 1e-9)


# --- The run -----------------------------------------------------------------------------------


@dataclass
class MixedResult:
    plan: dict[str, Any]
    seconds: float
    rows: dict[str, dict[str, Any]]
    counts: dict[str, int]
    failures: list[dict[str, str]]
    cpu_ms_per_request: dict[str, float]
    other_load_pct: float
    cases_made: int
    csv_prefix: str
    first_errors: list[str] = field(default_factory=list)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"casedesk smtpd exited with {process.returncode}; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                if sock.recv(256).startswith(b"220"):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"casedesk smtpd did not answer within 60 s; see {log_path}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _sample(pids: list[int], database: str | None, load_tool: int) -> cpu.CpuSample:
    """One CPU sample over several process trees: the web server and the SMTP listener are
    the app; the load tool counts with this process as the client."""
    first = cpu.sample(pids[0], database)
    app = dict(first.app)
    for pid in pids[1:]:
        app.update(cpu.sample(pid, None).app)
    client = first.client + sum(cpu.sample(load_tool, None).app.values())
    return cpu.CpuSample(
        app=app, database=first.database, client=client, machine=first.machine, at=first.at
    )


def _wait_for(path: Path, process: subprocess.Popen[bytes], limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            return True
        time.sleep(0.1)
    return path.exists()


def run_load(
    db: Any, config: dict[str, Any], plan: Plan, out_dir: Path, server_pid: int, smtpd_pid: int
) -> MixedResult:
    """Runs locust headless with the locustfile for warm-up + duration, samples the CPU of
    the server, the SMTP listener and their database backends over the measured window
    (marked by the locustfile), and reads locust's CSV statistics back."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in [*out_dir.glob("mixed-*"), *out_dir.glob("mixed_*")]:
        stale.unlink()
    config_path = out_dir / "mixed-config.json"
    config_path.write_text(json.dumps({**config, "plan": asdict(plan), "out_dir": str(out_dir)}))
    prefix = out_dir / "mixed"
    locust = Path(sys.executable).with_name("locust")
    command = [
        str(locust) if locust.exists() else "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        config["host"],
        "--users",
        str(plan.users),
        "--spawn-rate",
        str(max(5, plan.agents // 3)),
        # A cap only: the locustfile ends the run when its window has lasted duration_s.
        "--run-time",
        f"{math.ceil(plan.warmup_s + plan.duration_s + SIGN_IN_GRACE_S + 60)}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--logfile",
        str(out_dir / "mixed-locust.log"),
        "--exit-code-on-error",
        "0",
    ]
    env = {
        **os.environ,
        CONFIG_ENV: str(config_path),
        "PYTHONPATH": os.pathsep.join(
            [str(LOCUSTFILE.parent.parent.parent), os.environ.get("PYTHONPATH", "")]
        ),
    }
    start_mark, end_mark = out_dir / "mixed-window-start", out_dir / "mixed-window-end"
    with (out_dir / "mixed-locust.out").open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            started = _wait_for(start_mark, process, plan.warmup_s + SIGN_IN_GRACE_S + 60)
            before = _sample([server_pid, smtpd_pid], db.name, process.pid)
            ended = _wait_for(end_mark, process, plan.duration_s + 120)
            after = _sample([server_pid, smtpd_pid], db.name, process.pid)
            process.wait(timeout=120)
        finally:
            _stop(process)
    if not (started and ended):
        raise RuntimeError(
            f"locust did not run its window; see {out_dir / 'mixed-locust.out'}"
            f" and {out_dir / 'mixed-locust.log'}"
        )
    window = json.loads(end_mark.read_text())
    seconds = float(window["end"]) - float(json.loads(start_mark.read_text())["start"])
    rows = read_stats((out_dir / "mixed_stats.csv").read_text())
    counts = {k: int(v) for k, v in window.get("counts", {}).items()}
    failures = list(csv.DictReader(io.StringIO((out_dir / "mixed_failures.csv").read_text())))
    used = cpu.spent(before, after)
    total = max(1, sum(r.requests for r in rows.values()))
    return MixedResult(
        plan=asdict(plan),
        seconds=seconds,
        rows={n: asdict(r) for n, r in rows.items()},
        counts=counts,
        failures=failures[:20],
        cpu_ms_per_request={part: round(s * 1000 / total, 3) for part, s in used.items()},
        other_load_pct=cpu.other_load_pct(before, after),
        cases_made=0,
        csv_prefix=str(prefix),
        first_errors=list(window.get("first_errors", []))[:10],
    )


def record(report: Any, result: MixedResult, plan: Plan) -> None:
    rows = {n: Row(**r) for n, r in result.rows.items()}
    for name, value, unit in figures(rows, result.counts, plan, result.seconds):
        report.add(name, value, unit)
    per_request = result.cpu_ms_per_request
    report.add("mixed_load_cpu_app", per_request.get("app", 0.0), "ms/request")
    report.add("mixed_load_cpu_db", per_request.get("database", 0.0), "ms/request")
    report.details["mixed_load"] = asdict(result)


# --- Data and processes (Django from here on) ---------------------------------------------------


def ensure_mixed_tenant(agents: int, base_cases: int, *, reload: bool = False) -> Any:
    """The bench tenant of the mixed load: `agents` agents (with PASSWORD) in the three
    queues, `base_cases` cases (the last run's arrivals removed), 200 routing rules and the
    default SLA policies as in the creation figure, and a support address for mail."""
    from datetime import UTC, datetime

    from django.db import connection

    from bench import loader
    from bench.routing import ensure_rules
    from casedesk.mail.tenant_settings import mail_settings_update
    from casedesk.routing.models import Queue
    from casedesk.routing.queues import queue_update
    from casedesk.sla.policies import sla_seed_defaults
    from casedesk.tenancy.models import Membership, Role, Tenant, User
    from casedesk.tenancy.services import membership_add, user_get_or_create

    bench = loader.ensure_tenant(SLUG, "Bench mixed load", loader.crm_size(base_cases))
    tenant = bench.tenant
    domain = f"{SLUG}.bench.invalid"
    manager = Membership.objects.get(tenant=tenant, user__email=f"manager@{domain}")
    for k in range(len(bench.agent_ids) + 1, agents + 1):
        user = user_get_or_create(email=f"agent{k:02d}@{domain}", full_name=f"Agent {k:02d}")
        membership_add(tenant=tenant, user=user, role=Role.AGENT, manager=manager)
        bench.agent_ids.append(user.pk)
    bench.agent_ids = bench.agent_ids[: max(1, agents)]  # one at least: tokens
    # Hashing a password takes a third of a second: only agents without one get it.
    for user in User.objects.filter(pk__in=bench.agent_ids):
        if not user.has_usable_password():
            user_get_or_create(email=user.email, password=PASSWORD)
    # The first ten keep ensure_tenant's queues; the others join Support (60 %), Finance
    # and Engineering (20 % each), as a desk's people are spread.
    queues = {q.name: q for q in Queue.objects.filter(tenant=tenant)}
    members: dict[str, list[int]] = {
        name: list(q.members.values_list("user_id", flat=True)) for name, q in queues.items()
    }
    for k, uid in enumerate(bench.agent_ids[loader.AGENTS :]):
        name = ("Support", "Support", "Support", "Finance", "Engineering")[k % 5]
        if uid not in members[name]:
            members[name].append(uid)
    for name, ids in members.items():
        if set(queues[name].members.values_list("user_id", flat=True)) != set(ids):
            queue_update(queue=queues[name], changes={"member_ids": ids})
    removed = loader.delete_cases(tenant, above=base_cases)
    loaded = loader.ensure_cases(bench, base_cases, reload=reload)
    if removed and loaded is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) cases_case, cases_timelineevent")
    ensure_rules(tenant)
    sla_seed_defaults(tenant, datetime.now(UTC))
    Tenant.objects.filter(pk=tenant.pk).update(routing_enabled=True)
    if tenant.mail_address != f"support@{domain}":
        mail_settings_update(tenant=tenant, changes={"mail_address": f"support@{domain}"})
    loader.issue_tokens(bench, bench.agent_ids)
    return bench


def _config(bench: Any, host: str, smtp_port: int) -> dict[str, Any]:
    from bench import loader, scenarios
    from casedesk.crm.models import Contact
    from casedesk.tenancy.models import User

    emails = dict(User.objects.filter(pk__in=bench.agent_ids).values_list("pk", "email"))
    senders = list(
        Contact.objects.filter(tenant=bench.tenant)
        .order_by("pk")
        .values_list("email", flat=True)[:2000]
    )
    return {
        "host": host,
        "agents": [emails[uid] for uid in bench.agent_ids],
        "password": PASSWORD,
        "tokens": [bench.tokens[uid] for uid in bench.agent_ids],
        "bodies": [b.decode() for b in scenarios.create_bodies(bench, 2000)],
        "notes": list(loader.NOTES),
        "subjects": list(loader.SUBJECTS),
        "descriptions": list(loader.DESCRIPTIONS),
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "to": bench.tenant.mail_address,
            "senders": senders,
        },
    }


def run_mixed(
    report: Any,
    db: Any,
    settle: Callable[[str], None],
    *,
    duration_s: float,
    warmup_s: float = WARMUP_S,
    base_cases: int = BASE_CASES,
    plan: Plan | None = None,
    reload: bool = False,
) -> MixedResult:
    """The whole figure: the tenant, the server and the SMTP listener, the load, the figures."""
    from bench.database import BENCH_DIR, ROOT, casedesk_command, server_environment
    from bench.loader import log
    from bench.server import free_port, running
    from casedesk.cases.models import Case

    plan = plan or plan_for(db.vendor, duration_s, warmup_s)
    if db.vendor != "postgresql":
        report.skipped.append(
            f"mixed_load on SQLite: {plan.agents} agents and "
            f"{plan.arrivals_per_s:g} cases/s (the figure is PostgreSQL's)"
        )
    bench = ensure_mixed_tenant(plan.agents, base_cases, reload=reload)
    before = Case.objects.filter(tenant=bench.tenant).count()
    workers = max(2, 2 * (os.cpu_count() or 1))  # what `casedesk serve` starts by default
    smtp_port = free_port()
    smtp_log = BENCH_DIR / "smtpd-mixed.log"
    settle("mixed_load")
    log(
        f"mixed load: {plan.agents} agents, {plan.arrivals_per_s:g} cases/s "
        f"({plan.mail_share:.0%} by mail), {plan.warmup_s:g} s warm-up + {plan.duration_s:g} s"
    )
    with smtp_log.open("wb") as smtp_out:
        smtpd = subprocess.Popen(
            [casedesk_command(), "smtpd", "--host", "127.0.0.1", "--port", str(smtp_port)],
            cwd=ROOT,
            env=server_environment(db),
            stdout=smtp_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for_port(smtp_port, smtpd, smtp_log)
            with running(db, workers, BENCH_DIR) as server:
                config = _config(bench, f"http://{server.host}:{server.port}", smtp_port)
                result = run_load(db, config, plan, BENCH_DIR, server.pid, smtpd.pid)
        finally:
            _stop(smtpd)
    result.cases_made = Case.objects.filter(tenant=bench.tenant).count() - before
    if result.other_load_pct > 15:
        log(f"other work took {result.other_load_pct:.0f} % of the CPUs during the mixed load")
    record(report, result, plan)
    return result

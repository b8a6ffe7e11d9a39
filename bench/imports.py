"""`import_rate`: cases per second brought in by `casedesk import --format zendesk`'s code
path, from a realistic Zendesk JSON export written to a temporary folder.

The export has TICKETS tickets over two years (most solved or closed, some open, pending or
on hold), each with its description and a few comments from the customer and the agents
(public and internal), tags and a custom field; USERS customers, a dozen agents and
ORGANIZATIONS organizations, in the three newline-delimited files Zendesk's full export
writes. It goes into a fresh tenant (the previous run's is deleted first), through
`import_run` as the command calls it: reading, checking every row, writing the accounts,
contacts, cases, notes and timelines with their original times. The whole run is timed (the
dry-run check included: it is part of every import); a second run of the same export,
which must change nothing, is timed too (`import_rerun_rate`).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.database import Database
from bench.loader import log
from bench.results import Report
from casedesk.cases.models import Case, CustomFieldDefinition, Note
from casedesk.importer.mapping import Mapping
from casedesk.importer.services import import_run
from casedesk.importer.sources import SourceFile
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Tenant

SLUG = "bench-import"
TICKETS = 10_000
USERS = 3_000
ORGANIZATIONS = 400
AGENTS = 12
START = datetime(2024, 1, 1, tzinfo=UTC)
STATUSES = (("closed", 60), ("solved", 15), ("open", 10), ("pending", 8), ("hold", 2),
            ("new", 5))
SUBJECTS = ("Cannot sign in after the password reset", "Invoice shows the wrong VAT number",
            "Export to CSV times out", "How do I add a second admin?",
            "Webhook deliveries fail with 502", "Refund for a duplicate charge",
            "Mobile app crashes on start", "Change the billing address",
            "SAML login loops back to the start page", "Report totals do not match")
BODIES = ("Thanks for the details, we are looking into it now.",
          "Could you send us a screenshot of the error, please?",
          "We have deployed a fix; please try again and let us know.",
          "Here is the screenshot you asked for.",
          "It works again, thank you for the quick help!",
          "Escalated to the platform team: the job queue was stuck.")


@dataclass
class ImportResult:
    tickets: int
    comments: int
    seconds: float
    cases_per_s: float
    rerun_seconds: float
    rerun_cases_per_s: float


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_export(folder: Path, tickets: int = TICKETS, seed: int = 17) -> int:
    """Writes organizations.json, users.json and tickets.json; returns the comment count."""
    rng = random.Random(seed)
    with (folder / "organizations.json").open("w") as out:
        for n in range(ORGANIZATIONS):
            out.write(json.dumps({"id": 360_000_000 + n, "name": f"Customer {n} Ltd",
                                  "domain_names": [f"customer{n}.example"],
                                  "created_at": _iso(START), "tags": []}) + "\n")
    with (folder / "users.json").open("w") as out:
        for n in range(AGENTS):
            out.write(json.dumps({"id": 9_000 + n, "name": f"Agent {n}", "role": "agent",
                                  "email": f"agent{n}@desk.bench.invalid"}) + "\n")
        for n in range(USERS):
            out.write(json.dumps({
                "id": 100_000 + n, "name": f"Customer Person {n}", "role": "end-user",
                "email": f"person{n}@customer{n % ORGANIZATIONS}.example",
                "phone": None, "organization_id": 360_000_000 + n % ORGANIZATIONS}) + "\n")
    statuses = [s for s, weight in STATUSES for _ in range(weight)]
    comments = 0
    with (folder / "tickets.json").open("w") as out:
        for n in range(tickets):
            requester = 100_000 + rng.randrange(USERS)
            agent = 9_000 + rng.randrange(AGENTS)
            created = START + timedelta(minutes=n * 100 + rng.randrange(60))
            status = rng.choice(statuses)
            description = f"{rng.choice(SUBJECTS)}. Since this morning it fails for us."
            thread: list[dict[str, Any]] = [{"id": n * 10, "author_id": requester,
                                             "public": True, "body": description,
                                             "created_at": _iso(created)}]
            moment = created
            for k in range(1, 1 + rng.randrange(6)):
                moment += timedelta(minutes=30 + rng.randrange(600))
                by_agent = k % 2 == 1
                thread.append({"id": n * 10 + k, "author_id": agent if by_agent else requester,
                               "public": not by_agent or rng.random() > 0.2,
                               "body": rng.choice(BODIES), "created_at": _iso(moment)})
            comments += len(thread) - 1
            done = status in ("solved", "closed")
            out.write(json.dumps({
                "id": 50_000 + n, "subject": rng.choice(SUBJECTS), "description": description,
                "status": status, "priority": rng.choice(("low", "normal", "normal", "high",
                                                          "urgent")),
                "type": rng.choice(("question", "incident", "problem", "task", None)),
                "requester_id": requester, "assignee_id": agent,
                "organization_id": 360_000_000 + (requester - 100_000) % ORGANIZATIONS,
                "tags": rng.sample(("billing", "login", "export", "api", "mobile", "vip"), 2),
                "custom_fields": [{"id": 360_001, "value": rng.choice(("gold", "silver"))}],
                "via": {"channel": rng.choice(("email", "email", "web", "voice", "api"))},
                "created_at": _iso(created), "updated_at": _iso(moment),
                "metric_set": {"solved_at": _iso(moment) if done else None},
                "comments": thread}) + "\n")
    return comments


def _fresh_tenant() -> Tenant:
    Tenant.objects.filter(slug=SLUG).delete()
    tenant = tenant_create(slug=SLUG, name="Bench import",
                           admin_email="admin@bench-import.bench.invalid")
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan", kind="text")
    return tenant


def _run(tenant: Tenant, files: list[SourceFile]) -> float:
    started = time.perf_counter()
    outcome = import_run(tenant=tenant, actor=None, format="zendesk", files=files,
                         mapping=Mapping(custom_fields={"360001": "plan"}),
                         now=datetime.now(UTC))
    seconds = time.perf_counter() - started
    if outcome.problems or not outcome.written:
        raise RuntimeError(f"bench import refused rows: {outcome.problems[:3]}")
    return seconds


def run_import(report: Report, db: Database, tickets: int = TICKETS) -> ImportResult:
    """Measures the import and adds `import_rate` (and `import_rerun_rate`) to `report`."""
    tenant = _fresh_tenant()
    with tempfile.TemporaryDirectory(prefix="casedesk-bench-import-") as folder:
        comments = write_export(Path(folder), tickets)
        files = [SourceFile(p.name, p.read_bytes()) for p in sorted(Path(folder).iterdir())]
    seconds = _run(tenant, files)
    made = Case.objects.filter(tenant=tenant).count()
    if made != tickets:
        raise RuntimeError(f"{tickets} tickets made {made} cases")
    notes = Note.objects.filter(tenant=tenant).count()
    rerun = _run(tenant, files)
    if Case.objects.filter(tenant=tenant).count() != tickets or \
            Note.objects.filter(tenant=tenant).count() != notes:
        raise RuntimeError("re-running the import changed what it had written")
    result = ImportResult(tickets=tickets, comments=comments, seconds=round(seconds, 2),
                          cases_per_s=round(tickets / seconds, 1),
                          rerun_seconds=round(rerun, 2),
                          rerun_cases_per_s=round(tickets / rerun, 1))
    log(f"import: {result.cases_per_s} cases/s ({tickets} Zendesk tickets with {comments} "
        f"comments in {result.seconds} s; re-run {result.rerun_seconds} s) on {db.vendor}")
    report.add("import_rate", result.cases_per_s, "cases/s")
    report.add("import_rerun_rate", result.rerun_cases_per_s, "cases/s")
    report.details["import"] = result.__dict__
    return result

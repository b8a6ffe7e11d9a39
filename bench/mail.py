"""`ingest_email_rate`: messages per second through `mail.ingest.ingest_batch` (the code path
of `casedesk ingest_email --mbox`), in-process, for a batch of 1,000 mixed messages;
`ingest_email_cpu_rate`: the rate the CPU of this process and its database backend allow for
that batch (what a shared machine's other work hardly moves); and
`ingest_email_process_ms`: the wall time of one `casedesk ingest_email --tenant SLUG` process
taking one message from standard input, as an MTA's pipe runs it once per message (start to
exit, the median of 10 runs after one warm run).

The mix is built from the real-world corpus in tests/mail/corpus (plain, multipart, HTML,
attachments, other charsets, bounces, broken messages) with a fresh Message-ID per copy, and
one in four a reply (In-Reply-To an earlier message of the batch, From that message's sender,
as a customer answering their own thread), so new cases, threaded replies, automatic mail and
quarantines are all in it. In batch mode (as `ingest_email --mbox`
runs): the batch's raw messages are stored in one transaction, then read once; new cases are
filed a chunk at a time, plain replies a run at a time, the rest one by one (`mail.batch`).
"""

from __future__ import annotations

import os
import random
import re
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection

from bench import cpu, database
from bench.loader import log
from bench.results import Report
from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Tenant

BATCH = 1000
PROCESS_RUNS = 10
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "mail" / "corpus" / "messages"
_MESSAGE_ID = re.compile(rb"^Message-ID:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n", re.I | re.M)
_FROM = re.compile(rb"^From:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n", re.I | re.M)


def _with_headers(raw: bytes, message_id: str, in_reply_to: str | None,
                  sender: bytes | None = None) -> bytes:
    raw = _MESSAGE_ID.sub(b"", raw, count=1)
    if sender is not None:
        raw = _FROM.sub(b"", raw, count=1)
    extra = f"Message-ID: <{message_id}>\r\n"
    if in_reply_to:
        extra += f"In-Reply-To: <{in_reply_to}>\r\n"
    return extra.encode() + (sender or b"") + raw


def _from_line(raw: bytes) -> bytes | None:
    header_end = raw.find(b"\n\n") if b"\r\n\r\n" not in raw else raw.find(b"\r\n\r\n")
    found = _FROM.search(raw, 0, header_end if header_end >= 0 else len(raw))
    return found.group(0) if found else None


def batch(seed: int = 5) -> list[bytes]:
    rng = random.Random(seed)
    sources = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    raws = [p.read_bytes() for p in sources]
    out: list[bytes] = []
    ids: list[str] = []
    senders: dict[str, bytes | None] = {}
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    for i in range(BATCH):
        message_id = f"bench-{stamp}-{i}@bench.invalid"
        reply_to = rng.choice(ids) if ids and rng.random() < 0.25 else None
        raw = rng.choice(raws)
        sender = senders[reply_to] if reply_to else _from_line(raw)
        out.append(_with_headers(raw, message_id, reply_to, sender if reply_to else None))
        senders[message_id] = sender
        ids.append(message_id)
    return out


def run_ingest(report: Report) -> None:
    tenant = Tenant.objects.filter(slug="bench-mail").first() or tenant_create(
        slug="bench-mail", name="Bench mail", admin_email="admin@bench-mail.bench.invalid"
    )
    messages = batch()
    for raw in messages[:20]:  # warm-up: imports, caches, prepared statements
        ingest(
            tenant=tenant,
            raw=raw.replace(b"@bench.invalid", b"@warm.invalid"),
            now=datetime.now(UTC),
        )
    statuses: dict[str, int] = {}
    database_name = (connection.settings_dict["NAME"] if connection.vendor == "postgresql"
                     else None)
    if database_name:
        # Every run adds its messages to the bench tenant: with autovacuum off (as on the
        # bench machine) the planner would read thread keys and contacts by the statistics
        # of the first run, scanning every key of the tenant per lookup.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE mail_threadkey, mail_inboundmessage, crm_contact, "
                           "crm_account, cases_case")
    before = cpu.sample(os.getpid(), database_name)
    started = time.perf_counter()
    for result in ingest_batch(tenant=tenant, raws=messages, now=datetime.now(UTC)):
        statuses[result.status] = statuses.get(result.status, 0) + 1
    seconds = time.perf_counter() - started
    after = cpu.sample(os.getpid(), database_name)
    used = cpu.spent(before, after)
    report.add("ingest_email_rate", len(messages) / seconds, "messages/s")
    # On a shared machine the wall-clock rate moves with other work; the CPU this process and
    # its database backend spent does not: the rate that CPU allows on one core each.
    report.add("ingest_email_cpu_rate",
               len(messages) / max(1e-6, used["app"] + used["database"]), "messages/s")
    report.details["ingest_email"] = {
        "messages": len(messages),
        "seconds": seconds,
        "statuses": statuses,
        "cpu_app_s": round(used["app"], 3),
        "cpu_database_s": round(used["database"], 3),
        "other_cpu_load_pct_during": round(cpu.other_load_pct(before, after), 1),
    }
    log(f"ingest: {statuses}")

    run_process(report, tenant.slug, (CORPUS / "simple.eml").read_bytes())


def run_process(report: Report, slug: str, sample: bytes) -> None:
    """`ingest_email_process_ms`: one message per process through the console script, as an
    MTA pipe runs it; each run a fresh Message-ID (a new case), one warm run first (the
    operating system's file cache). Exit 0 is asserted: a message quarantined or refused
    would time another path."""
    command = [database.casedesk_command(), "ingest_email", "--tenant", slug, "-"]
    env = database.server_environment(database.choose())
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    times = []
    for i in range(PROCESS_RUNS + 1):
        raw = _with_headers(sample, f"pipe-{stamp}-{i}@bench.invalid", None)
        started = time.perf_counter()
        done = subprocess.run(command, input=raw, env=env, cwd=database.ROOT,
                              capture_output=True, timeout=120, check=False)
        elapsed = (time.perf_counter() - started) * 1000
        if done.returncode != 0:
            raise RuntimeError(f"ingest_email exited {done.returncode}: {done.stderr!r}")
        if i:
            times.append(elapsed)
    report.add("ingest_email_process_ms", statistics.median(times), "ms")
    report.details["ingest_email_process"] = {"runs_ms": [round(t, 1) for t in times]}

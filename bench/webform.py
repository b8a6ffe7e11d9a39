"""`web_form_submit_throughput`: cases per second made through `POST /portal/<slug>/new`,
the web-to-case form, by CLIENTS concurrent clients against the HTTP server.

Each post is the plain HTML snippet's (urlencoded, from the tenant's listed embed origin, so
it needs neither a CSRF token nor a fill-time stamp) with its own sender address and its own
client address (X-Forwarded-For, which the bench server is told to read): the rate limits,
which would otherwise hold the bench back after five posts, count per address and network
exactly as in production. Every post goes the whole way: throttle counts, the contact made,
`case_create` with routing on and the default SLA policies, the acknowledgement in the
outbox, the submission row. A post answered with anything but the redirect to the thank-you
page is an error and fails the run.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from bench.database import BENCH_DIR, Database
from bench.http import Connection
from bench.loader import log
from bench.results import Report
from bench.server import running
from casedesk.cases.models import Case
from casedesk.ops.provisioning import tenant_create
from casedesk.portal.config import portal_settings
from casedesk.tenancy.models import Tenant

SLUG = "bench-webform"
ORIGIN = "https://www.bench-webform.invalid"
CLIENTS = 8
POSTS = 1600
WARMUP = 80
WORKERS = 2


@dataclass
class WebFormResult:
    posts: int
    seconds: float
    cases_per_s: float
    cases_made: int
    workers: int
    clients: int


def _tenant() -> Tenant:
    tenant = Tenant.objects.filter(slug=SLUG).first() or tenant_create(
        slug=SLUG, name="Bench web form", admin_email="admin@bench-webform.bench.invalid")
    from casedesk.sla.policies import sla_seed_defaults

    sla_seed_defaults(tenant, datetime.now(UTC))
    Tenant.objects.filter(pk=tenant.pk).update(routing_enabled=True)
    config = portal_settings(tenant)
    config.form_enabled, config.only_known_contacts = True, False
    config.embed_origins = [ORIGIN]
    config.save()
    return tenant


def _body(run: str, n: int) -> bytes:
    return urlencode({
        "name": f"Bench Customer {n}", "email": f"c{n}-{run}@customers.bench.invalid",
        "subject": f"Cannot sign in to the billing portal ({n})",
        "description": "Since this morning the sign-in page refuses my password. " * 4,
        "website": "",
    }).encode()


def _post_all(port: int, run: str, first: int, count: int, clients: int) -> None:
    errors: list[str] = []

    def client(index: int) -> None:
        connection = Connection("127.0.0.1", port)
        try:
            for n in range(first + index, first + count, clients):
                response = connection.request("POST", f"/portal/{SLUG}/new", {
                    "Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN,
                    # One network per post: 10.x.y.z from the post's number.
                    "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
                }, _body(run, n))
                if response.status != 302:
                    errors.append(f"{response.status}: {response.body[:200]!r}")
                    return
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"web form post refused: {errors[0]}")


def run_webform(report: Report, db: Database) -> WebFormResult:
    """Measures the form's throughput and adds `web_form_submit_throughput` to `report`."""
    tenant = _tenant()
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    before = Case.objects.filter(tenant=tenant).count()
    # The server must read the client's address from the header the bench sets.
    saved = {k: os.environ.get(k) for k in ("CASEDESK_CLIENT_IP_HEADER",
                                            "CASEDESK_TRUSTED_PROXY_COUNT")}
    os.environ["CASEDESK_CLIENT_IP_HEADER"] = "X-Forwarded-For"
    os.environ["CASEDESK_TRUSTED_PROXY_COUNT"] = "1"
    try:
        with running(db, WORKERS, BENCH_DIR) as server:
            _post_all(server.port, run, 0, WARMUP, CLIENTS)
            started = time.perf_counter()
            _post_all(server.port, run, WARMUP, POSTS, CLIENTS)
            seconds = time.perf_counter() - started
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    made = Case.objects.filter(tenant=tenant).count() - before
    result = WebFormResult(posts=POSTS, seconds=round(seconds, 2),
                           cases_per_s=round(POSTS / seconds, 1), cases_made=made,
                           workers=WORKERS, clients=CLIENTS)
    if made != POSTS + WARMUP:
        raise RuntimeError(f"{POSTS + WARMUP} posts made {made} cases")
    log(f"web form: {result.cases_per_s} cases/s ({POSTS} posts, {CLIENTS} clients, "
        f"{WORKERS} workers)")
    report.add("web_form_submit_throughput", result.cases_per_s, "cases/s")
    report.details["web_form_submit"] = result.__dict__
    return result

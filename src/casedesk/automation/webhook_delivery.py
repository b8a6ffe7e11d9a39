"""Delivery of the webhook outbox: due rows claimed, posted, and the answer recorded.

Each post is `POST <endpoint url>` with `Content-Type: application/json` and these headers:

    X-Casedesk-Event: case.created
    X-Casedesk-Delivery: 1234                      (the delivery's id; the same on every retry)
    X-Casedesk-Signature: t=1795942800,v1=5d41...  (hex HMAC-SHA256, key = the secret,
                                                    message = f"{t}.{raw body}")

A receiver checks the signature over the raw body it got, compares in constant time
(`hmac.compare_digest`) and refuses a `t` far from its own clock (replays). A 2xx answer is
delivered; anything else (another status, a timeout, no connection, an address the
installation refuses) is retried with exponential backoff (`backoff`: 30 s, 1, 2, 4 … minutes,
capped), `MAX_ATTEMPTS` tries in all, then the delivery has failed. Every try is a
`WebhookAttempt`; the delivery row shows the latest. `DISABLE_AFTER` failed tries in a row
(across deliveries) switch the endpoint off and tell the tenant's admins; a 2xx resets the
count. Redirects are not followed.

Outbox semantics: rows are claimed with a lease (`next_attempt_at` and `claimed_until` moved
`LEASE` ahead, with SKIP LOCKED on PostgreSQL and a compare-and-set that works on any engine),
so two workers never post one row at once, and a worker killed mid-run delays a row until its
lease ends. Delivery is at least once: a receiver deduplicates by `X-Casedesk-Delivery`.

Isolation: each endpoint's rows are posted in order in a thread of a small pool, with a
`CONNECT_TIMEOUT` to connect and a `REQUEST_TIMEOUT` for the whole exchange (a watchdog cuts
the socket, so a receiver dripping bytes cannot stretch it). An endpoint's first failure in a
run stops its other rows for that run (they are put back untried), so a hanging receiver costs
one thread for one timeout while the other endpoints deliver; the threads do no database work,
and this thread records each answer as it arrives.

SSRF: the URL's host is vetted again before every post (`core.net.vet_destination`), and the
connection goes to the vetted address with the name in the Host header and TLS's SNI and
certificate check, so a DNS answer that changed since the endpoint was saved (rebinding)
reaches nothing it may not.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import queue
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction

from casedesk.automation.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from casedesk.automation.webhooks import SCHEMES, delivery_body, listeners_changed, sign
from casedesk.core import net
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import Notice, notices_write
from casedesk.tenancy.models import Membership, Role

log = logging.getLogger(__name__)

# Module constants, read at each post, so a test can make them short.
CONNECT_TIMEOUT = 5.0  # seconds
REQUEST_TIMEOUT = 10.0  # seconds, the whole exchange: connect, send, answer
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=5)
DISABLE_AFTER = 15  # failed tries in a row
BATCH = 50
PER_ENDPOINT = 10  # rows of one endpoint per batch
ENDPOINT_BUDGET = 30.0  # seconds an endpoint's thread starts new posts in one batch
POOL_SIZE = 8
RUN_BUDGET = 60.0  # seconds one run keeps claiming batches
EXCERPT_CHARS = 1000
READ_LIMIT = 64 * 1024
USER_AGENT = "casedesk-webhooks/1"


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, 1, 2, 4 … minutes, capped."""
    delay: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: list[str] = field(default_factory=list)  # endpoints switched off

    def summary(self) -> str:
        text = (f"{self.delivered} delivered, {self.retrying} to retry, "
                f"{self.failed} failed for good")
        if self.disabled:
            text += f"; switched off: {', '.join(self.disabled)}"
        return text

    def add(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.disabled += other.disabled


# --- one post ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """What one post came to: the receiver's status and the start of its body, or why there
    was no answer."""

    status: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoAnswer(Exception):
    """The post got no HTTP answer; the message says why, for the delivery log."""


class _Watchdog:
    """Cuts the socket when the whole exchange has run out of time: a blocked read then
    returns at once, however the receiver drips its bytes."""

    def __init__(self, seconds: float) -> None:
        self.sock: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        if self.sock is not None:
            # The plain socket's shutdown, under a TLS socket's too: TLS's own would tear
            # down its state under the reading thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _excerpt(raw: bytes) -> str:
    # NUL is the one character PostgreSQL's text refuses.
    return raw.decode("utf-8", "replace").replace("\x00", "\ufffd")[:EXCERPT_CHARS]


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POSTs `body` to `url` (vetted now, connected to by its vetted address), within
    CONNECT_TIMEOUT and REQUEST_TIMEOUT. Never raises for what the network or the receiver
    did: that is the answer's `error`."""
    started = time.monotonic()
    try:
        status, raw = _exchange(url, body, headers, started + REQUEST_TIMEOUT)
    except _NoAnswer as error:
        return Answer(None, "", str(error)[:500], _ms_since(started))
    return Answer(status, _excerpt(raw), "", _ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _exchange(url: str, body: bytes, headers: dict[str, str],
              deadline: float) -> tuple[int, bytes]:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _NoAnswer("The URL is not valid.") from None
    host = parts.hostname
    if parts.scheme not in SCHEMES or not host:
        raise _NoAnswer("The URL must be http:// or https:// with a host.")
    try:
        destination = net.vet_destination(host, port)
    except net.AddressNotAllowed as error:
        raise _NoAnswer(f"{host}: {error}") from None
    except net.HostUnresolvable:
        raise _NoAnswer(f"{host} does not resolve to any address.") from None
    remaining = deadline - time.monotonic()
    with _Watchdog(remaining) as watchdog:
        try:
            return _converse(parts.scheme, destination, parts.netloc.rpartition("@")[2],
                             parts.path or "/", parts.query, body, headers, watchdog,
                             deadline)
        except _NoAnswer:
            raise
        except (TimeoutError, net.ConnectFailed) as error:
            if watchdog.fired or isinstance(error, TimeoutError):
                raise _NoAnswer(f"No answer within {REQUEST_TIMEOUT:g} s (timed out).") from None
            raise _NoAnswer(str(error)) from None
        except ssl.SSLError as error:
            raise _NoAnswer(f"TLS failed: {error.reason or error}") from None
        except (http.client.HTTPException, OSError) as error:
            if watchdog.fired:
                raise _NoAnswer(f"No answer within {REQUEST_TIMEOUT:g} s (timed out).") from None
            raise _NoAnswer(f"The connection failed: {type(error).__name__} {error}") from None


def _converse(scheme: str, destination: net.Destination, host_header: str, path: str,
              query: str, body: bytes, headers: dict[str, str], watchdog: _Watchdog,
              deadline: float) -> tuple[int, bytes]:
    sock = net.connect(destination, min(CONNECT_TIMEOUT, max(deadline - time.monotonic(),
                                                               0.001)))
    watchdog.sock = sock
    try:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        if scheme == "https":
            sock = ssl.create_default_context().wrap_socket(
                sock, server_hostname=destination.host)
            watchdog.sock = sock
        connection = http.client.HTTPConnection(destination.host, destination.port)
        connection.sock = sock
        target = path + (f"?{query}" if query else "")
        connection.request("POST", target, body=body, headers={
            "Host": host_header, "User-Agent": USER_AGENT,
            "Content-Type": "application/json", **headers})
        response = connection.getresponse()
        return response.status, response.read(READ_LIMIT)
    finally:
        sock.close()


# --- the outbox -------------------------------------------------------------------------------

def claim_due(now: datetime, limit: int = BATCH) -> list[WebhookDelivery]:
    """Claims up to `limit` due deliveries of enabled endpoints (at most PER_ENDPOINT each):
    their lease moves `next_attempt_at` LEASE ahead, so no other worker takes them meanwhile
    and a dead worker's rows come due again when it ends. Rows another worker holds are
    skipped (PostgreSQL) or lost in the compare-and-set (any engine)."""
    lease = now + LEASE
    claimed: list[WebhookDelivery] = []
    with transaction.atomic():
        rows = list(WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
                            endpoint__is_enabled=True)
                    .order_by("next_attempt_at", "pk")[:limit])
        taken: dict[int, int] = defaultdict(int)
        for row in rows:
            if taken[row.endpoint_id] >= PER_ENDPOINT:
                continue
            won = WebhookDelivery.objects.filter(
                pk=row.pk, status=DeliveryStatus.PENDING,
                next_attempt_at=row.next_attempt_at).update(next_attempt_at=lease,
                                                             claimed_until=lease)
            if won:
                taken[row.endpoint_id] += 1
                row.next_attempt_at = row.claimed_until = lease
                claimed.append(row)
    return claimed


@dataclass(frozen=True)
class _Job:
    """A claimed delivery, ready to post without the database."""

    delivery_id: int
    endpoint_id: int
    event: str
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class _Outcome:
    job: _Job
    answer: Answer | None  # None: not tried this run (put back)
    at: datetime


def _jobs(rows: list[WebhookDelivery]) -> dict[int, list[_Job]]:
    endpoints = WebhookEndpoint.objects.in_bulk({row.endpoint_id for row in rows})
    groups: dict[int, list[_Job]] = defaultdict(list)
    for row in rows:
        endpoint = endpoints[row.endpoint_id]
        groups[endpoint.pk].append(_Job(
            delivery_id=row.pk, endpoint_id=endpoint.pk, event=row.event, url=endpoint.url,
            secret=endpoint.secret, body=delivery_body(row, endpoint)))
    return groups


def _post_in_order(jobs: list[_Job], outcomes: queue.Queue[_Outcome | None],
                   now: datetime, started: float) -> None:
    """One endpoint's rows, in order, in a pool thread: the first failure, or the endpoint's
    time budget spent, puts the rest back untried. Ends with None on `outcomes`."""
    began = time.monotonic()
    posted = 0
    try:
        for job in jobs:
            if posted and time.monotonic() - began > ENDPOINT_BUDGET:
                break
            at = now + timedelta(seconds=time.monotonic() - started)
            answer = post(job.url, job.body, _headers(job, at))
            posted += 1
            outcomes.put(_Outcome(job, answer, at))
            if not answer.ok:
                break
    except Exception:
        log.exception("Posting to webhook endpoint %s failed", jobs[0].endpoint_id)
    finally:
        at = now + timedelta(seconds=time.monotonic() - started)
        for job in jobs[posted:]:
            outcomes.put(_Outcome(job, None, at))
        outcomes.put(None)


def _headers(job: _Job, at: datetime) -> dict[str, str]:
    return {"X-Casedesk-Event": job.event, "X-Casedesk-Delivery": str(job.delivery_id),
            "X-Casedesk-Signature": sign(job.secret, int(at.timestamp()), job.body)}


def deliver(rows: list[WebhookDelivery], now: datetime, *,
            started: float | None = None) -> DeliveryReport:
    """Posts claimed rows, each endpoint's in a pool thread of its own, and records each
    answer here as it arrives."""
    report = DeliveryReport()
    if not rows:
        return report
    started = time.monotonic() if started is None else started
    groups = _jobs(rows)
    outcomes: queue.Queue[_Outcome | None] = queue.Queue()
    with ThreadPoolExecutor(max_workers=min(POOL_SIZE, len(groups)),
                            thread_name_prefix="webhook") as pool:
        for jobs in groups.values():
            pool.submit(_post_in_order, jobs, outcomes, now, started)
        running = len(groups)
        while running:
            outcome = outcomes.get()
            if outcome is None:
                running -= 1
            elif outcome.answer is None:
                _put_back(outcome.job, outcome.at)
            else:
                _record(outcome.job, outcome.answer, outcome.at, report)
    return report


def deliver_due_webhooks(now: datetime) -> DeliveryReport:
    """Delivers what is due, a batch at a time, until nothing is due or RUN_BUDGET is spent.
    Safe on any number of workers at once."""
    total = DeliveryReport()
    started = time.monotonic()
    while time.monotonic() - started < RUN_BUDGET:
        rows = claim_due(now + timedelta(seconds=time.monotonic() - started))
        if not rows:
            break
        total.add(deliver(rows, now, started=started))
    return total


def _put_back(job: _Job, at: datetime) -> None:
    """A claimed row not tried this run: due again shortly, its attempts unchanged."""
    WebhookDelivery.objects.filter(pk=job.delivery_id, status=DeliveryStatus.PENDING).update(
        next_attempt_at=at + FIRST_BACKOFF, claimed_until=None)


def _why(answer: Answer) -> str:
    if answer.status is None:
        return answer.error
    if 300 <= answer.status < 400:
        return f"The receiver answered HTTP {answer.status} (redirects are not followed)."
    return f"The receiver answered HTTP {answer.status}."


def _record(job: _Job, answer: Answer, at: datetime, report: DeliveryReport) -> None:
    """One attempt: its log row, the delivery's latest answer and state, the endpoint's run
    of failures (and switching it off), in one transaction."""
    error = "" if answer.ok else _why(answer)[:500]
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(
            pk=job.delivery_id).first()
        if delivery is None:  # its endpoint was deleted meanwhile
            return
        WebhookAttempt.objects.create(
            tenant_id=delivery.tenant_id, delivery=delivery, response_code=answer.status,
            response_excerpt=answer.excerpt, error=error, duration_ms=answer.duration_ms,
            created_at=at)
        delivery.attempts += 1
        delivery.response_code, delivery.response_excerpt = answer.status, answer.excerpt
        delivery.error, delivery.duration_ms = error, answer.duration_ms
        delivery.claimed_until = None
        if answer.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, at
            report.delivered += 1
            WebhookEndpoint.objects.filter(pk=job.endpoint_id,
                                           consecutive_failures__gt=0).update(
                consecutive_failures=0)
        else:
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                report.failed += 1
            else:
                delivery.next_attempt_at = at + backoff(delivery.attempts)
                report.retrying += 1
            _failed_once(job.endpoint_id, error, at, report)
        delivery.save()


def _failed_once(endpoint_id: int, error: str, at: datetime, report: DeliveryReport) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    endpoint.consecutive_failures += 1
    if endpoint.is_enabled and endpoint.consecutive_failures >= DISABLE_AFTER:
        endpoint.is_enabled, endpoint.disabled_at = False, at
        endpoint.disabled_reason = (f"Switched off after {endpoint.consecutive_failures} "
                                    f"failed attempts in a row. The last: {error}")[:300]
        report.disabled.append(endpoint.name)
        _tell_admins(endpoint, at)
        listeners_changed(endpoint.tenant_id)
        log.warning("Webhook endpoint %s switched off: %s", endpoint.pk,
                    endpoint.disabled_reason)
    endpoint.save(update_fields=["consecutive_failures", "is_enabled", "disabled_at",
                                 "disabled_reason"])


def _tell_admins(endpoint: WebhookEndpoint, at: datetime) -> None:
    admins: Iterable[int] = Membership.objects.filter(
        tenant_id=endpoint.tenant_id, role=Role.ADMIN, is_active=True,
    ).values_list("user_id", flat=True)
    message = (f"Webhook “{endpoint.name}” was switched off after "
               f"{endpoint.consecutive_failures} failed deliveries in a row. Fix the receiver, "
               "then switch it on again under Automations → Webhooks.")
    notices_write([Notice(tenant_id=endpoint.tenant_id, recipient_id=user_id,
                          case_id=None,
                          kind=NotificationKind.WEBHOOK_DISABLED, message=message)
                   for user_id in admins], at)

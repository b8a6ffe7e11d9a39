"""Holding back guessers: who the client is, and the API-token throttle.

Sign-ins (`/login/`, `/admin/login/`) are throttled by django-axes (settings `AXES_*`), which
calls `client_ip` and `login_username` here. Bearer tokens are throttled here: after
`CASEDESK_API_AUTH_FAILURE_LIMIT` bad tokens from one client, each less than
`CASEDESK_API_AUTH_COOLOFF` after the one before, that client gets 429 until the cool-off has
passed since its last failure. Both count in the database, so every web process on every
machine sees the same counts (the installation has no shared cache; SQLite works too).

The hot path stays cheap: a request with a good token writes nothing, and costs one read by a
unique key (whether its client is held back; usually no row). Requests that are held back are
answered without looking at their token, so a blocked guesser learns nothing, and write
nothing either: a flood of them costs reads only.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest

from casedesk.core.errors import DomainError
from casedesk.core.models import ApiAuthFailures
from casedesk.core.net import parse_ip

USERNAME_MAX = 255  # axes' AccessAttempt.username


class TooManyFailures(DomainError):
    """The client presented too many bad tokens lately; the API answers 429 with Retry-After."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed authentications from this address; try again in "
                         f"{retry_after} seconds.")
        self.retry_after = retry_after


# --- who the client is --------------------------------------------------------------------------

def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address: REMOTE_ADDR, or behind reverse proxies the address the
    `CASEDESK_TRUSTED_PROXY_COUNT`-th proxy from this server wrote into
    `CASEDESK_CLIENT_IP_HEADER` (e.g. `X-Forwarded-For`, to which each proxy appends the address
    it was connected from; entries further left are the client's to forge). A request without
    that header did not come through the proxies, and its peer address is used."""
    header = getattr(settings, "CASEDESK_CLIENT_IP_HEADER", "")
    if header:
        hops = [hop.strip() for hop in request.headers.get(header, "").split(",")]
        hops = [hop for hop in hops if hop]
        count = max(1, int(getattr(settings, "CASEDESK_TRUSTED_PROXY_COUNT", 1)))
        if len(hops) >= count:
            address = parse_ip(hops[-count])
            if address is not None:
                return str(address)
    remote = request.META.get("REMOTE_ADDR")
    address = parse_ip(remote) if isinstance(remote, str) else None
    return str(address) if address is not None else None


def client_key(ip: str | None) -> str:
    """What failures are counted under: the IPv4 address, or the /64 network of an IPv6 one
    (one host usually holds a whole /64, so counting single addresses would not hold it)."""
    address = parse_ip(ip) if ip else None
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in is for, as axes counts it: trimmed and lower-cased (addresses are
    stored so), and storable whatever was posted (no NUL, no lone surrogate, not too long)."""
    raw = credentials.get("username") if credentials else request.POST.get("username")
    if not isinstance(raw, str):
        return None
    name = raw.strip().lower().replace("\x00", "")
    name = name.encode("utf-8", "replace").decode("utf-8")[:USERNAME_MAX]
    return name or None


# --- the API-token throttle ---------------------------------------------------------------------

@dataclass(frozen=True)
class Policy:
    limit: int  # failures in a run that hold the client back
    cooloff: timedelta  # a run ends this long after its last failure


def policy_from_settings() -> Policy:
    return Policy(limit=int(settings.CASEDESK_API_AUTH_FAILURE_LIMIT),
                  cooloff=settings.CASEDESK_API_AUTH_COOLOFF)


def failures_after_one_more(failures: int, last_failure_at: datetime | None, *,
                            now: datetime, policy: Policy) -> int:
    """The length of the run once a failure at `now` is added: a new run when the last
    failure is a cool-off or more ago."""
    if last_failure_at is None or now - last_failure_at >= policy.cooloff:
        return 1
    return failures + 1


def retry_after(failures: int, last_failure_at: datetime | None, *, now: datetime,
                policy: Policy) -> int | None:
    """Whole seconds the client must wait before its next try, or None when it may try now."""
    if failures < policy.limit or last_failure_at is None:
        return None
    remaining = (last_failure_at + policy.cooloff - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def token_wait(client: str, *, now: datetime, policy: Policy | None = None) -> int | None:
    """Seconds `client` is held back from presenting tokens, or None. One read, no write."""
    policy = policy or policy_from_settings()
    rows = list(ApiAuthFailures.objects.filter(client=client)
                .values_list("failures", "last_failure_at")[:1])
    if not rows:
        return None
    failures, last_failure_at = rows[0]
    return retry_after(failures, last_failure_at, now=now, policy=policy)


def failure_columns_sql(connection: BaseDatabaseWrapper) -> str:
    """A client's run of failures as two columns for the statement that looks a presented
    token up (two scalar subqueries, each taking the client as one parameter): its failures
    and its last failure."""
    quote = connection.ops.quote_name
    table = quote(ApiAuthFailures._meta.db_table)
    return ", ".join(
        f"(SELECT {quote(column)} FROM {table} WHERE {quote('client')} = %s)"
        for column in ("failures", "last_failure_at"))


def token_wait_of(failures: int | None, last_failure_at: datetime | None, *, now: datetime,
                  policy: Policy | None = None) -> int | None:
    """`token_wait` for a run read with `failure_columns_sql` (None, None: no run)."""
    if failures is None:
        return None
    return retry_after(failures, last_failure_at, now=now, policy=policy or policy_from_settings())


def token_failure_record(client: str, *, now: datetime, policy: Policy | None = None) -> int:
    """Counts one bad token from `client`; the length of its run of failures. Safe when several
    processes count for the same client at once: the row is locked while it is updated, and of
    two first failures made at once one creates the row and the other then updates it."""
    policy = policy or policy_from_settings()
    for _ in range(3):
        with transaction.atomic():
            row = (ApiAuthFailures.objects.select_for_update()
                   .filter(client=client).first())
            if row is not None:
                row.failures = failures_after_one_more(row.failures, row.last_failure_at,
                                                       now=now, policy=policy)
                row.last_failure_at = now
                row.save(update_fields=["failures", "last_failure_at"])
                return row.failures
            # Runs that have ended are forgotten as new clients fail (an indexed delete).
            ApiAuthFailures.objects.filter(last_failure_at__lt=now - policy.cooloff).delete()
            try:
                with transaction.atomic():
                    ApiAuthFailures.objects.create(client=client, failures=1,
                                                   last_failure_at=now)
            except IntegrityError:
                continue  # another process created it just now: count on its row
            return 1
    raise RuntimeError(f"could not count an API authentication failure for {client}")

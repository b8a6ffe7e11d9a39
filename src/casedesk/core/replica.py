"""Reports on a PostgreSQL read replica (README, "Read replica").

When `CASEDESK_REPLICA_DATABASE_URL` is set, the settings add the database alias `replica`,
install `ReplicaRouter` and set `CASEDESK_REPORTS_DATABASE = "replica"`. Nothing reads from
the replica unless it asks to: the router leaves every query on `default`, because a replica
lags behind the primary and an agent's screens must show what the agent just wrote. Reports
opt in one query at a time, with `.using(reports_db())`.

`reports_db()` answers the primary instead of the replica
- inside a transaction on the primary: what that transaction wrote (or read and locked) is
  not on the replica, and a report made in it must agree with it;
- while the replica cannot be reached: a report a little slower on the primary is better
  than no report. A failed connection is remembered for `RETRY_SECONDS` (per process), so
  only one request in that time waits for the connection attempt (bounded by the replica's
  `connect_timeout`); after that the replica is tried again.
A replica that answers is trusted however far it lags; its lag is the operator's to watch
(`pg_stat_replication` on the primary).
"""

import logging
import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
RETRY_SECONDS = 30.0

logger = logging.getLogger(__name__)


class ReplicaRouter:
    """Keeps the replica out of everything but explicit reads.

    Reads with no `.using()` stay where their instance came from, else on `default` (None
    lets Django decide so); every write goes to `default`, also of a row read from the
    replica; the two databases hold the same rows, so relations between them are allowed;
    nothing is ever migrated on the replica (it replays the primary's schema)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None,
                      **hints: Any) -> bool | None:
        return False if db == REPLICA else None


class Availability:
    """When each replica alias may next be tried, after a failed connection (monotonic
    seconds; per process, like the connections themselves)."""

    def __init__(self, retry_seconds: float = RETRY_SECONDS) -> None:
        self.retry_seconds = retry_seconds
        self.down_until: dict[str, float] = {}

    def is_resting(self, alias: str, now: float) -> bool:
        return now < self.down_until.get(alias, float("-inf"))

    def failed(self, alias: str, now: float) -> None:
        self.down_until[alias] = now + self.retry_seconds

    def answered(self, alias: str) -> None:
        self.down_until.pop(alias, None)


availability = Availability()


def reports_db(*, now: float | None = None) -> str:
    """The database alias reports read from: the replica when one is configured, reachable,
    and the caller is not inside a transaction on the primary; else `default`.

    Cheap when the replica's connection is open (an attribute or two, plus Django's
    once-per-request health check when CONN_HEALTH_CHECKS is on); `now` (monotonic seconds)
    is for tests."""
    alias: str = getattr(settings, "CASEDESK_REPORTS_DATABASE", DEFAULT_DB_ALIAS)
    if alias == DEFAULT_DB_ALIAS or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    moment = time.monotonic() if now is None else now
    if availability.is_resting(alias, moment):
        return DEFAULT_DB_ALIAS
    try:
        connections[alias].ensure_connection()
    except DatabaseError as error:
        availability.failed(alias, moment)
        logger.warning("The reports' replica (%s) cannot be reached, reports read the primary "
                       "for %.0f s: %s", alias, availability.retry_seconds, error)
        return DEFAULT_DB_ALIAS
    availability.answered(alias)
    return alias

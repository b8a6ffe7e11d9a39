"""Reports on a read replica (core/replica.py, the settings' `replica` alias).

On PostgreSQL the test settings give the alias `replica` either a real streaming standby of
the test server (CASEDESK_TEST_REPLICA_DATABASE_URL, as `scripts/start-replica` prints it
with the matching CASEDESK_TEST_DATABASE_URL) or, by default, a second connection of its own
to the test database, read-only as a standby is. Either way it is a separate session: it sees
only what the primary committed, and refuses writes. The same tests run against both.
"""

import runpy
import socket
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.test.utils import CaptureQueriesContext

import casedesk.settings
from casedesk.core import replica
from casedesk.core.replica import REPLICA, Availability, ReplicaRouter, reports_db
from casedesk.ops.provisioning import tenant_create
from casedesk.reports.models import CaseFact
from casedesk.reports.periods import period_of
from casedesk.reports.rollup import facts_refresh
from casedesk.reports.scorecard import ReportFilters, scorecard
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW
from tests.factories import make_case

needs_replica = pytest.mark.skipif(
    "not __import__('os').environ.get('CASEDESK_TEST_DATABASE_URL')",
    reason="read replicas are PostgreSQL's: set CASEDESK_TEST_DATABASE_URL (and "
    "CASEDESK_TEST_REPLICA_DATABASE_URL for a real standby, see scripts/start-replica)")
on_replica = [needs_replica,
              pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])]
REPLAY_WAIT_S = 10.0

# --- settings (no database) ----------------------------------------------------------------

PRIMARY_URL = "postgres://casedesk@db-primary:5432/casedesk"
REPLICA_URL = "postgres://reports@db-replica:5433/casedesk"


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The production settings module as it comes out for `env` (run afresh, not imported)."""
    monkeypatch.setenv("CASEDESK_SECRET_KEY", "k" * 50)
    for name in ("DATABASE_URL", "CASEDESK_REPLICA_DATABASE_URL",
                 "CASEDESK_REPLICA_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(casedesk.settings.__file__)


def test_a_replica_url_adds_the_replica_alias_and_its_router(
        monkeypatch: pytest.MonkeyPatch) -> None:
    found = _settings(monkeypatch, DATABASE_URL=PRIMARY_URL,
                      CASEDESK_REPLICA_DATABASE_URL=REPLICA_URL,
                      CASEDESK_REPLICA_CONNECT_TIMEOUT="5")
    primary, replica_db = found["DATABASES"]["default"], found["DATABASES"]["replica"]
    assert (primary["HOST"], primary["PORT"], primary["USER"]) == ("db-primary", 5432, "casedesk")
    assert (replica_db["HOST"], replica_db["PORT"], replica_db["USER"], replica_db["NAME"]) == (
        "db-replica", 5433, "reports", "casedesk")
    # Parsed and tuned as the primary is, plus a short connect timeout.
    assert replica_db["ENGINE"] == primary["ENGINE"] == "django.db.backends.postgresql"
    assert replica_db["CONN_HEALTH_CHECKS"] is True
    assert replica_db["OPTIONS"] == {**primary["OPTIONS"], "connect_timeout": 5}
    assert replica_db["TEST"] == {"MIRROR": "default"}
    assert found["DATABASE_ROUTERS"] == ["casedesk.core.replica.ReplicaRouter"]
    assert found["CASEDESK_REPORTS_DATABASE"] == "replica"


def test_without_a_replica_url_reports_read_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _settings(monkeypatch, DATABASE_URL=PRIMARY_URL)
    assert set(found["DATABASES"]) == {"default"}
    assert "DATABASE_ROUTERS" not in found
    assert found["CASEDESK_REPORTS_DATABASE"] == "default"


@pytest.mark.parametrize(("primary_url", "replica_url"), [
    (PRIMARY_URL, "sqlite:////tmp/replica.sqlite3"),
    ("sqlite:////tmp/casedesk.sqlite3", REPLICA_URL),
])
def test_a_replica_needs_postgresql_on_both_sides(monkeypatch: pytest.MonkeyPatch,
                                                 primary_url: str, replica_url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="CASEDESK_REPLICA_DATABASE_URL"):
        _settings(monkeypatch, DATABASE_URL=primary_url,
                  CASEDESK_REPLICA_DATABASE_URL=replica_url)


# --- the router and the fallback's memory (no database) --------------------------------------


class _Row:
    def __init__(self, db: str) -> None:
        self._state = type("State", (), {"db": db})()


def test_router_never_migrates_the_replica_and_leaves_reads_alone() -> None:
    r = ReplicaRouter()
    assert r.allow_migrate(REPLICA, "reports", model_name="casefact") is False
    assert r.allow_migrate(DEFAULT_DB_ALIAS, "reports", model_name="casefact") is None
    assert r.db_for_read(CaseFact) is None
    assert r.db_for_write(CaseFact, instance=_Row(REPLICA)) == DEFAULT_DB_ALIAS
    assert r.allow_relation(_Row(DEFAULT_DB_ALIAS), _Row(REPLICA)) is True
    assert r.allow_relation(_Row(REPLICA), _Row("elsewhere")) is None


def test_a_failed_replica_rests_for_the_retry_time_then_is_tried_again() -> None:
    health = Availability(retry_seconds=30)
    assert not health.is_resting(REPLICA, 100.0)
    health.failed(REPLICA, 100.0)
    assert health.is_resting(REPLICA, 129.9)
    assert not health.is_resting(REPLICA, 130.0)
    health.failed(REPLICA, 130.0)
    health.answered(REPLICA)
    assert not health.is_resting(REPLICA, 131.0)


def test_reports_read_the_primary_when_no_replica_is_configured(settings: Any) -> None:
    settings.CASEDESK_REPORTS_DATABASE = "default"
    assert reports_db() == DEFAULT_DB_ALIAS


# --- against the replica alias (PostgreSQL) --------------------------------------------------


@pytest.fixture
def reports_on_replica(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports configured to read the replica, with a fresh memory of its failures."""
    settings.CASEDESK_REPORTS_DATABASE = REPLICA
    monkeypatch.setattr(replica, "availability", Availability(retry_seconds=30))


@pytest.fixture
def desk() -> Tenant:
    """A tenant with two cases and their facts, committed on the primary."""
    tenant = tenant_create(slug="replica", name="Replica", admin_email="admin@replica.test")
    make_case(tenant, subject="Printer on fire", now=NOW)
    make_case(tenant, subject="Invoice wrong", now=NOW)
    facts_refresh()  # done already if the commit ran the queued refresh: then it finds none
    assert CaseFact.objects.filter(tenant=tenant).count() == 2
    return tenant


def _is_standby() -> bool:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return bool(cursor.fetchone()[0])


def _replayed() -> None:
    """Waits until the replica has replayed everything the primary committed so far (at once
    for a second connection to the primary itself)."""
    if not _is_standby():
        return
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        lsn = cursor.fetchone()[0]
    deadline = time.monotonic() + REPLAY_WAIT_S
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"the standby did not replay up to {lsn}"
            time.sleep(0.02)


def _backend_pid(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


@pytest.mark.usefixtures("reports_on_replica")
class TestOnReplica:
    pytestmark = on_replica

    def test_rows_committed_on_the_primary_are_read_through_the_replica(
            self, desk: Tenant) -> None:
        assert reports_db() == REPLICA
        assert _backend_pid(REPLICA) != _backend_pid(DEFAULT_DB_ALIAS)
        _replayed()
        assert CaseFact.objects.using(reports_db()).filter(tenant=desk).count() == 2
        # What the primary has not committed yet is not there.
        with transaction.atomic():
            make_case(desk, subject="Not yet", now=NOW)
            facts_refresh()
            assert CaseFact.objects.filter(tenant=desk).count() == 3
            assert CaseFact.objects.using(REPLICA).filter(tenant=desk).count() == 2
        _replayed()
        assert CaseFact.objects.using(REPLICA).filter(tenant=desk).count() == 3

    def test_the_scorecard_reads_the_replica(self, desk: Tenant) -> None:
        _replayed()
        zone = ZoneInfo(desk.time_zone)
        period = period_of("last_7_days", today=NOW.astimezone(zone).date(), zone=zone)
        with CaptureQueriesContext(connections[REPLICA]) as on_replica_db:
            card = scorecard(desk, period, ReportFilters())
        assert card.current.created == 2
        assert any("reports_casefact" in q["sql"] for q in on_replica_db.captured_queries)

    def test_the_replica_refuses_writes_and_rows_read_there_are_saved_on_the_primary(
            self, desk: Tenant) -> None:
        _replayed()
        with pytest.raises(DatabaseError, match="read-only"), transaction.atomic(using=REPLICA):
            Tenant.objects.using(REPLICA).filter(pk=desk.pk).update(name="Renamed")
        row = Tenant.objects.using(REPLICA).get(pk=desk.pk)
        row.name = "Renamed"
        row.save()
        assert Tenant.objects.get(pk=desk.pk).name == "Renamed"

    def test_inside_a_transaction_on_the_primary_reports_read_the_primary(
            self) -> None:
        assert reports_db() == REPLICA
        with transaction.atomic():
            assert reports_db() == DEFAULT_DB_ALIAS
        assert reports_db() == REPLICA

    def test_the_router_keeps_migrations_off_the_replica(self) -> None:
        assert router.allow_migrate_model(REPLICA, CaseFact) is False
        assert router.allow_migrate_model(DEFAULT_DB_ALIAS, CaseFact) is True


@pytest.fixture
def unreachable_replica() -> Iterator[None]:
    """Points the replica alias at a port nobody listens on, for the rest of the test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    conn = connections[REPLICA]
    conn.close()
    saved = conn.settings_dict["HOST"], conn.settings_dict["PORT"]
    conn.settings_dict["HOST"], conn.settings_dict["PORT"] = "127.0.0.1", dead_port
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict["HOST"], conn.settings_dict["PORT"] = saved


@pytest.mark.usefixtures("reports_on_replica")
class TestReplicaDown:
    pytestmark = on_replica

    def test_reports_fall_back_to_the_primary_and_try_the_replica_again_later(
            self, unreachable_replica: None, caplog: pytest.LogCaptureFixture) -> None:
        started = time.monotonic()
        assert reports_db(now=1000.0) == DEFAULT_DB_ALIAS
        assert time.monotonic() - started < 3  # refused at once, no hanging request
        assert "cannot be reached" in caplog.text
        assert replica.availability.is_resting(REPLICA, 1001.0)
        # Resting: the next requests do not try (and so do not wait) at all.
        assert reports_db(now=1029.0) == DEFAULT_DB_ALIAS

    def test_a_replica_that_answers_again_is_used_again(self) -> None:
        replica.availability.failed(REPLICA, 1000.0)
        assert reports_db(now=1010.0) == DEFAULT_DB_ALIAS
        assert reports_db(now=1031.0) == REPLICA
        assert not replica.availability.is_resting(REPLICA, 1031.0)


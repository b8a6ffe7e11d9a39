"""core.rows: instances read and rows written by hand-written SQL are the ORM's own."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models.signals import post_save

from casedesk.cases.models import Case, TimelineEvent
from casedesk.core.models import ApiAuthFailures
from casedesk.core.rows import Columns, converted, insert, insert_values
from casedesk.crm.models import Account, Contact

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _select_one(columns: Columns, pk: int) -> object:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.select(connection)} FROM {quote(columns.table)} "
                       f"{columns.alias} WHERE {columns.alias}.{quote('id')} = %s", [pk])
        row = cursor.fetchone()
    return columns.take(row, 0, connection)


def _fields(instance: object) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_row_becomes_the_instance_the_orm_makes(tenant) -> None:
    case = Case.objects.create(tenant=tenant, number=7, subject="Printer on fire",
                               tags=["hot", "ünï"], custom_fields={"seats": 3, "ok": True},
                               created_at=NOW, updated_at=NOW, status_changed_at=NOW,
                               first_response_due_at=NOW)
    read = _select_one(Columns(Case, "k"), case.pk)
    assert _fields(read) == _fields(Case.objects.get(pk=case.pk))
    assert read.tags == ["hot", "ünï"] and read.custom_fields == {"seats": 3, "ok": True}
    assert read.created_at == NOW and read.first_response_due_at == NOW
    assert read._state.adding is False and read._state.db == connection.alias


def test_a_joined_row_is_cut_into_its_models(tenant) -> None:
    account = Account.objects.create(tenant=tenant, name="Globex", domain="globex.test")
    contact = Contact.objects.create(tenant=tenant, name="Hank", email="hank@globex.test",
                                     account=account)
    people, firms = Columns(Contact, "p"), Columns(Account, "f")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {people.select(connection)}, {firms.select(connection)} "
                       f"FROM {quote(people.table)} p JOIN {quote(firms.table)} f "
                       f"ON f.{quote('id')} = p.{quote('account_id')} WHERE p.{quote('id')} = %s",
                       [contact.pk])
        row = cursor.fetchone()
    assert _fields(people.take(row, 0, connection)) == _fields(Contact.objects.get(pk=contact.pk))
    assert _fields(firms.take(row, people.width, connection)) == _fields(
        Account.objects.get(pk=account.pk))


def test_one_column_is_converted_as_the_orm_would() -> None:
    ApiAuthFailures.objects.create(client="192.0.2.1", failures=4, last_failure_at=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_failure_at FROM core_apiauthfailures")
        (raw,) = cursor.fetchone()
    assert converted(ApiAuthFailures, "last_failure_at", raw, connection) == NOW


def test_insert_writes_what_save_would_and_sets_the_keys(tenant) -> None:
    cases = [Case(tenant=tenant, number=n, subject=f"Case {n}", tags=[f"t{n}"],
                  custom_fields={"n": n}, created_at=NOW, updated_at=NOW,
                  status_changed_at=NOW) for n in (1, 2, 3)]
    written = insert(cases, connection)
    assert [c.pk for c in written] == sorted(c.pk for c in written)
    for case in cases:
        assert case.pk is not None and case._state.adding is False
        stored = Case.objects.get(pk=case.pk)
        assert (stored.number, stored.subject, stored.tags, stored.custom_fields) == (
            case.number, case.subject, case.tags, case.custom_fields)
        assert stored.created_at == NOW
    # Fields the model fills on save (auto_now_add) are filled here too.
    events = insert([TimelineEvent(tenant=tenant, case=cases[0], kind="created",
                                   new_value={"a": [1, "x"]}, created_at=NOW)], connection)
    assert TimelineEvent.objects.get(pk=events[0].pk).new_value == {"a": [1, "x"]}
    account = insert([Account(tenant=tenant, name="Initech")], connection)[0]
    assert Account.objects.get(pk=account.pk).created_at is not None


def test_insert_saves_models_with_save_listeners_one_by_one(tenant) -> None:
    heard: list[tuple[int, bool]] = []

    def listener(sender, instance, created, **kwargs) -> None:
        heard.append((instance.pk, created))

    post_save.connect(listener, sender=Account, dispatch_uid="test-rows-listener")
    try:
        accounts = insert([Account(tenant=tenant, name="Umbrella"),
                           Account(tenant=tenant, name="Tyrell")], connection)
    finally:
        post_save.disconnect(sender=Account, dispatch_uid="test-rows-listener")
    assert heard == [(accounts[0].pk, True), (accounts[1].pk, True)]
    assert Account.objects.filter(pk__in=[a.pk for a in accounts]).count() == 2


def test_insert_of_nothing_writes_nothing() -> None:
    assert insert([], connection) == []


def test_insert_values_writes_plain_rows_and_applies_the_conflict_clause(tenant) -> None:
    from casedesk.reports.models import FactStale

    first = Case.objects.create(tenant=tenant, number=1, subject="One", created_at=NOW,
                                updated_at=NOW, status_changed_at=NOW)
    second = Case.objects.create(tenant=tenant, number=2, subject="Two", created_at=NOW,
                                 updated_at=NOW, status_changed_at=NOW)
    upsert = "ON CONFLICT (case_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id"
    insert_values(FactStale, ("case", "tenant"), [(first.pk, tenant.pk)], connection,
                  on_conflict=upsert)
    insert_values(FactStale, ("case", "tenant"), [(first.pk, tenant.pk), (second.pk, tenant.pk)],
                  connection, on_conflict=upsert)
    assert sorted(FactStale.objects.values_list("case_id", flat=True)) == [first.pk, second.pk]
    failures = [(f"198.51.100.{n}", n, NOW) for n in range(1, 251)]  # more than one statement
    insert_values(ApiAuthFailures, ("client", "failures", "last_failure_at"), failures,
                  connection)
    stored = {r.client: (r.failures, r.last_failure_at) for r in ApiAuthFailures.objects.all()}
    assert stored == {client: (n, at) for client, n, at in failures}


def test_related_reads_what_select_related_reads(tenant, agent) -> None:
    from casedesk.core.rows import Related
    from casedesk.routing.models import Queue

    account = Account.objects.create(tenant=tenant, name="Globex")
    queue = Queue.objects.create(tenant=tenant, name="Billing")
    full = Case.objects.create(tenant=tenant, number=11, subject="Linked", account=account,
                               queue=queue, owner=agent.user, created_at=NOW, updated_at=NOW,
                               status_changed_at=NOW)
    bare = Case.objects.create(tenant=tenant, number=12, subject="Alone", created_at=NOW,
                               updated_at=NOW, status_changed_at=NOW)
    loader = Related(Case, ["account", "queue", "owner", "contact"])
    where = 't0."tenant_id" = %s AND t0."number" = %s'
    for case in (full, bare):
        read = loader.first(connection, where, [tenant.pk, case.number])
        orm = Case.objects.select_related("account", "queue", "owner", "contact").get(pk=case.pk)
        assert _fields(read) == _fields(orm)
        for name in ("account", "queue", "owner", "contact"):
            assert name in read._state.fields_cache  # loaded, never read again
            mine, theirs = getattr(read, name), getattr(orm, name)
            assert (None if mine is None else _fields(mine)) == (
                None if theirs is None else _fields(theirs))
    assert loader.first(connection, where, [tenant.pk, 999]) is None
    with pytest.raises(ValueError):
        Related(Case, ["subject"])

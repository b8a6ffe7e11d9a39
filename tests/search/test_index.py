"""The indexes stay right: SQLite's triggers come back after a table rebuild dropped them,
and `search_reindex` catches up with rows written around the triggers."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from casedesk.search.index import ensure_sqlite_triggers
from casedesk.search.selectors import Scope, search
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import is_postgres
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_sqlite_triggers_are_put_back_and_the_index_rebuilt(tenant: Tenant,
                                                           agent: Membership) -> None:
    if is_postgres():
        pytest.skip("SQLite's FTS5 triggers")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_case_fts_insert")
    case = make_case(tenant, subject="Tapir migration")  # written with no trigger
    assert search(Scope.of_member(agent), "tapir").cases == []
    with connection.cursor() as cursor:
        assert ensure_sqlite_triggers(cursor) == ["case"]
        assert ensure_sqlite_triggers(cursor) == []
    assert [h.case for h in search(Scope.of_member(agent), "tapir").cases] == [case]


def test_reindex_catches_up(tenant: Tenant, agent: Membership) -> None:
    case = make_case(tenant, subject="Gecko upload")
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("DELETE FROM search_document WHERE row_id = %s AND source = 'case'",
                           [case.pk])
        else:
            cursor.execute("DELETE FROM search_case_fts")
    assert search(Scope.of_member(agent), "gecko").cases == []
    out = StringIO()
    call_command("search_reindex", "--tenant", tenant.slug, stdout=out)
    assert [h.case for h in search(Scope.of_member(agent), "gecko").cases] == [case]

"""Merges racing on PostgreSQL: two cases merged into each other at once, and a merge racing
a note on the duplicate. Real threads, real connections, real row locks: one wins, the other
is told, and no deadlock."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from django.db import connection, connections

from casedesk.cases.merge import case_merge
from casedesk.cases.models import Case, Note
from casedesk.cases.services import case_add_note
from casedesk.core.errors import Conflict
from casedesk.ops.provisioning import tenant_create
from tests.conftest import NOW, postgres_only
from tests.factories import make_case

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
ROUNDS = 5


def _race(calls: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        try:
            barrier.wait(timeout=10)
            return call()
        except BaseException as error:  # noqa: BLE001 - the test inspects what each got
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_cases_merged_into_each_other_at_once_one_wins() -> None:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="race", name="Race", admin_email="admin@race.test")
    for _ in range(ROUNDS):
        one, two, three = (make_case(tenant, subject=f"Dup {i}") for i in range(3))
        results = _race([
            partial(case_merge, target=one, sources=[two, three], actor=None, now=NOW),
            partial(case_merge, target=three, sources=[two, one], actor=None, now=NOW),
        ])
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(refused) == 1 and isinstance(refused[0], Conflict), results
        merged = Case.objects.filter(pk__in=[one.pk, two.pk, three.pk],
                                     merged_into__isnull=False)
        assert merged.count() == 2
        survivor = Case.objects.get(pk__in=[one.pk, three.pk], merged_into__isnull=True)
        assert set(merged.values_list("merged_into_id", flat=True)) == {survivor.pk}


def test_a_note_racing_a_merge_lands_before_it_or_is_refused() -> None:
    tenant = tenant_create(slug="note-race", name="Race", admin_email="admin@note-race.test")
    for _ in range(ROUNDS):
        target, source = make_case(tenant), make_case(tenant)
        results = _race([
            partial(case_merge, target=target, sources=[source], actor=None, now=NOW),
            partial(case_add_note, case=source, actor=None, body="Racing", is_public=False,
                    now=NOW),
        ])
        assert not isinstance(results[0], BaseException), results
        note = results[1]
        if isinstance(note, BaseException):
            assert isinstance(note, Conflict) and "merged into" in note.detail
        else:  # written first: it moved with the merge
            assert Note.objects.get(pk=note.pk).case_id == target.pk

"""Parent links added at once on PostgreSQL: no cycle ever closes, even between two links
that share no case. Real threads, real connections, real row locks."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from casedesk.cases.links import link_add
from casedesk.cases.models import Case, CaseLink
from casedesk.core.errors import Conflict
from casedesk.ops.provisioning import tenant_create
from tests.conftest import NOW, postgres_only
from tests.factories import make_case

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
RING = 6
ROUNDS = 5


def _race(pairs: list[tuple[Case, Case]]) -> list[object]:
    barrier = threading.Barrier(len(pairs))

    def add(pair: tuple[Case, Case]) -> object:
        try:
            barrier.wait(timeout=10)
            return link_add(case=pair[0], other=pair[1], kind="parent_of", actor=None,
                            now=NOW)
        except BaseException as error:  # noqa: BLE001 - the test inspects what each got
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(pairs)) as pool:
        return list(pool.map(add, pairs))


def test_the_last_two_links_of_a_ring_added_at_once_never_close_it() -> None:
    """A ring of parent links lacking two that share no case: added at once, one of them
    would close a cycle, so exactly one is refused."""
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="ring", name="Ring", admin_email="admin@ring.test")
    for _ in range(ROUNDS):
        cases = [make_case(tenant, subject=f"Ring {i}") for i in range(RING)]
        edges = [(cases[i], cases[(i + 1) % RING]) for i in range(RING)]
        last = [edges[0], edges[RING // 2]]
        for parent, child in edges:
            if (parent, child) not in last:
                link_add(case=parent, other=child, kind="parent_of", actor=None, now=NOW)
        results = _race(last)
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(refused) == 1 and isinstance(refused[0], Conflict), results
        assert "own ancestor" in refused[0].detail
    assert CaseLink.objects.filter(tenant=tenant).count() == ROUNDS * (RING - 1)

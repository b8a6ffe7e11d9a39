"""Races on PostgreSQL: concurrent creators get distinct numbers, concurrent claimers one
winner. Real threads, real connections, real row locks."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.ownership import case_claim, case_claim_next
from casedesk.core.errors import Conflict
from casedesk.ops.provisioning import tenant_create
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Role
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.conftest import NOW, postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
THREADS = 8


def _race[T](work: Callable[[int], T]) -> list[T | BaseException]:
    """Runs work(i) in THREADS threads released at the same moment."""
    barrier = threading.Barrier(THREADS)

    def run(i: int) -> T | BaseException:
        try:
            barrier.wait(timeout=10)
            return work(i)
        except BaseException as error:  # noqa: BLE001 - the test inspects what each got
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.fixture
def team() -> tuple[Any, list[Membership], Queue]:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="race", name="Race", admin_email="admin@race.test")
    queue = Queue.objects.get(tenant=tenant, name="Support")
    agents = []
    for i in range(THREADS):
        user = user_get_or_create(email=f"agent{i}@race.test")
        membership = membership_add(tenant=tenant, user=user, role=Role.AGENT)
        queue.members.add(membership)
        agents.append(Membership.objects.select_related("user", "tenant").get(pk=membership.pk))
    return tenant, agents, queue


def test_concurrent_creators_get_distinct_numbers(team) -> None:
    tenant, _, _ = team

    def create(i: int) -> list[int]:
        return [case_create(tenant=tenant, actor=None, now=NOW,
                            data=CaseInput(subject=f"Race {i}-{n}"))[0].number
                for n in range(10)]

    results = _race(create)
    numbers = [n for result in results for n in result]  # type: ignore[union-attr]
    assert all(isinstance(r, list) for r in results), results
    assert len(numbers) == THREADS * 10
    assert len(set(numbers)) == len(numbers)
    assert Case.objects.filter(tenant=tenant).count() == THREADS * 10


def test_concurrent_idempotent_creates_make_one_case(team) -> None:
    tenant, _, _ = team
    results = _race(lambda i: case_create(
        tenant=tenant, actor=None, now=NOW, idempotency_key="order-42",
        data=CaseInput(subject="Same request"))[0].pk)
    assert len(set(results)) == 1, results
    assert Case.objects.filter(tenant=tenant).count() == 1


def test_concurrent_claims_of_one_case_have_one_winner(team) -> None:
    tenant, agents, queue = team
    case, _ = case_create(tenant=tenant, actor=None, now=NOW,
                          data=CaseInput(subject="Claim me", queue_id=queue.pk))
    results = _race(lambda i: case_claim(case=case, membership=agents[i], now=NOW).owner_id)
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    assert all(isinstance(e, Conflict) and "already claimed" in e.detail for e in losers)
    case.refresh_from_db()
    assert case.owner_id == winners[0]
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.CLAIMED).count() == 1


def test_concurrent_claim_next_never_hands_out_a_case_twice(team) -> None:
    tenant, agents, queue = team
    for n in range(THREADS + 2):
        case_create(tenant=tenant, actor=None, now=NOW,
                    data=CaseInput(subject=f"Waiting {n}", queue_id=queue.pk))
    results = _race(lambda i: case_claim_next(queue=queue, membership=agents[i], now=NOW).pk)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == THREADS
    owners = dict(Case.objects.filter(pk__in=results).values_list("pk", "owner_id"))
    assert sorted(owners.values()) == sorted(a.user_id for a in agents)

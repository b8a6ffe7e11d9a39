"""Routing races on PostgreSQL: eight creators at once keep round-robin fair and never put an
agent over capacity, and admins naming queues at once never get two of one name. Real
threads, real connections, real row locks."""

from collections import Counter

import pytest
from django.db import connection

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case
from casedesk.ops.provisioning import tenant_create
from casedesk.routing.models import Queue, Strategy
from casedesk.routing.queues import QueueConflict, queue_create, queue_update
from casedesk.tenancy.models import Role, Tenant
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.cases.test_concurrency import THREADS, _race
from tests.conftest import NOW, postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
PER_THREAD = 6


def desk(strategy: str, agents: int, capacity: int) -> tuple[Tenant, Queue, list[int]]:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="routerace", name="Route race", admin_email="a@race.test")
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    queue_update(queue=finance, changes={"strategy": strategy})
    finance.members.clear()  # only the agents below: not the first admin
    users = []
    for i in range(agents):
        user = user_get_or_create(email=f"fin{i}@race.test")
        finance.members.add(membership_add(tenant=tenant, user=user, role=Role.AGENT,
                                           capacity=capacity))
        users.append(user.pk)
    return tenant, finance, users


def create_many(tenant: Tenant, priority: int = 2) -> None:
    def work(i: int) -> None:
        for n in range(PER_THREAD):
            case_create(tenant=tenant, actor=None, now=NOW, data=CaseInput(
                subject=f"Invoice {i}-{n}", category="Billing", priority=priority))

    errors = [r for r in _race(work) if isinstance(r, BaseException)]
    assert not errors, errors


def test_concurrent_creators_keep_round_robin_fair() -> None:
    tenant, finance, users = desk(Strategy.ROUND_ROBIN, agents=5, capacity=1000)
    create_many(tenant)
    counts = Counter(Case.objects.filter(tenant=tenant, queue=finance)
                     .values_list("owner_id", flat=True))
    total = THREADS * PER_THREAD
    assert sum(counts.values()) == total and set(counts) == set(users)
    assert set(counts.values()) <= {total // 5, -(-total // 5)}


def test_concurrent_creators_never_exceed_capacity() -> None:
    tenant, finance, users = desk(Strategy.LOAD_BALANCED, agents=4, capacity=3)
    create_many(tenant)
    counts = Counter(Case.objects.filter(tenant=tenant, queue=finance)
                     .values_list("owner_id", flat=True))
    assert counts.pop(None) == THREADS * PER_THREAD - 4 * 3
    assert counts == dict.fromkeys(users, 3)


def test_admins_naming_queues_at_once_get_one_queue_per_name_whatever_its_case() -> None:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="namerace", name="Name race", admin_email="a@names.test")
    spellings = ["Escalations", "escalations", "ESCALATIONS", "EsCaLaTiOnS"]

    def work(i: int) -> Queue:
        return queue_create(tenant=tenant, name=spellings[i % len(spellings)])

    results = _race(work)
    made = [r for r in results if isinstance(r, Queue)]
    refused = [r for r in results if isinstance(r, QueueConflict)]
    assert len(made) == 1 and len(refused) == THREADS - 1, results
    assert Queue.objects.filter(tenant=tenant, name__iexact="escalations").count() == 1

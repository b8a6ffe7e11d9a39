"""A case list built to trip sorted paging up: 120 cases whose every sortable column has
ties, gaps (no owner, no queue, no SLA clock, …) and values out of number order, and the
order each sort must give, worked out in Python independently of the SQL."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from casedesk.cases.lifecycle import Status
from casedesk.cases.list_sort import parse_sort
from casedesk.cases.models import OPEN_STATUS_VALUES, Case
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, make_case

SUBJECTS = ("Printer jam", "alpha release", "Zebra crossing", "beta access", "Printer jam")
STATUSES = list(Status)


def build(tenant: Tenant, members: list[Membership], count: int = 120) -> list[Case]:
    """`count` cases of `tenant`, their columns set row by row (the sort is what is tested
    here, not how cases come to hold these values)."""
    nameless = membership_add(tenant=tenant, user=user_get_or_create(email="carl@acme.test"),
                              role="agent")
    owners = [None, *[m.user for m in members], nameless.user]
    queues: list[Queue | None] = [None, *Queue.objects.filter(tenant=tenant).order_by("pk")[:3]]
    # "acme" and "Acme" tie case-insensitively; "Initech" and "umbrella" do not.
    accounts = [None, *[AccountFactory(tenant=tenant, name=name)
                        for name in ("Umbrella", "acme", "Acme", "Initech")]]
    contacts = [None, ContactFactory(tenant=tenant, name="Zara Zed"),
                ContactFactory(tenant=tenant, name="", email="dora@example.com"),
                ContactFactory(tenant=tenant, name="bea")]
    cases = []
    for i in range(count):
        case = make_case(tenant, subject=f"{SUBJECTS[i % 5]} {i % 3}", priority=i % 4 + 1,
                         now=NOW + timedelta(minutes=i))
        due = NOW + timedelta(hours=(i * 13) % 17 - 6)
        Case.objects.filter(pk=case.pk).update(
            status=STATUSES[i % 6].value,
            owner=owners[i % len(owners)],
            queue=queues[(i // 2) % len(queues)],
            account=accounts[i % len(accounts)],
            contact=contacts[(i // 3) % len(contacts)],
            # Imported history keeps its original times: created order is not number order.
            created_at=NOW - timedelta(hours=(i * 37) % 50),
            updated_at=NOW + timedelta(minutes=i % 9),
            first_response_due_at=due if i % 3 else None,
            first_response_at=NOW if i % 4 == 0 else None,
            resolution_due_at=due + timedelta(hours=i % 5) if i % 2 else None,
            next_response_due_at=NOW + timedelta(hours=i % 7) if i % 7 == 3 else None,
        )
        cases.append(case)
    return list(Case.objects.filter(tenant=tenant).select_related(
        "tenant", "owner", "queue", "account", "contact"))


def _sla(case: Case) -> datetime | None:
    if case.status not in OPEN_STATUS_VALUES:
        return None
    running = [case.first_response_due_at if case.first_response_at is None else None,
               case.resolution_due_at, case.next_response_due_at]
    return min((d for d in running if d is not None), default=None)


KEYS: dict[str, Callable[[Case], Any]] = {
    "subject": lambda c: c.subject.lower(),
    "status": lambda c: STATUSES.index(Status(c.status)),
    "priority": lambda c: c.priority,
    "sla": _sla,
    "queue": lambda c: c.queue.name.lower() if c.queue else None,
    "owner": lambda c: c.owner.display_name.lower() if c.owner else None,
    "contact": lambda c: (c.contact.name or c.contact.email).lower() if c.contact else None,
    "account": lambda c: c.account.name.lower() if c.account else None,
    "created": lambda c: c.created_at,
    "updated": lambda c: c.updated_at,
}


def expected(cases: list[Case], sort: str) -> list[int]:
    """The case numbers in `sort` order: by the column, ties newest first, cases without a
    value last whichever the direction."""
    column, descending = parse_sort(sort)
    newest_first = sorted(cases, key=lambda c: -c.number)
    if column == "number":
        return [c.number for c in (newest_first if descending else newest_first[::-1])]
    key = KEYS[column]
    present = [c for c in newest_first if key(c) is not None]
    present.sort(key=key, reverse=descending)  # stable: ties stay newest first
    return [c.number for c in present] + [c.number for c in newest_first if key(c) is None]

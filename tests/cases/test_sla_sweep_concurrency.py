"""Two breach sweeps racing on PostgreSQL: every case is marked, elevated and notified once."""

from datetime import timedelta

import pytest
from django.db import connection

from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.priority import Priority
from casedesk.notifications.models import Notification
from casedesk.ops.provisioning import tenant_create
from casedesk.sla.policies import sla_seed_defaults
from casedesk.tenancy.models import Role
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.cases.test_concurrency import _race
from tests.conftest import NOW, postgres_only
from tests.factories import make_case

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_racing_sweeps_elevate_each_case_once() -> None:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="sweeprace", name="Sweep race", admin_email="a@sweep.test")
    sla_seed_defaults(tenant, NOW)
    boss = membership_add(tenant=tenant, user=user_get_or_create(email="boss@sweep.test"),
                          role=Role.MANAGER)
    owner = membership_add(tenant=tenant, user=user_get_or_create(email="own@sweep.test"),
                           role=Role.AGENT, manager=boss)
    cases = [make_case(tenant, now=NOW, owner_id=owner.user_id) for _ in range(60)]
    later = NOW + timedelta(hours=9)
    reports = _race(lambda i: sla_sweep(now=later + timedelta(seconds=i)))
    assert not [r for r in reports if isinstance(r, BaseException)], reports
    assert sum(len(r.cases) for r in reports) == len(cases)
    assert set(Case.objects.filter(tenant=tenant).values_list("priority", flat=True)) == {
        Priority.HIGH}
    assert TimelineEvent.objects.filter(tenant=tenant,
                                        kind=EventKind.SLA_BREACHED).count() == len(cases)
    assert Notification.objects.filter(tenant=tenant, kind="sla_breach").count() == 2 * len(cases)

"""Two workers sweeping time rules and taking in their events at the same moment, on
PostgreSQL: every case due fires its rule once."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from casedesk.automation.engine import events_process
from casedesk.automation.models import AutomationEvent, AutomationRule, RuleRun, RunOutcome
from casedesk.automation.timed import time_rules_sweep
from casedesk.cases.models import Case
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.services import tenant_bump_version
from tests.cases.test_concurrency import _race
from tests.conftest import NOW, postgres_only
from tests.factories import make_case

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_workers_fire_each_due_case_once() -> None:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="timerace", name="Time race", admin_email="a@time.test")
    AutomationRule.objects.create(
        tenant=tenant, name="Stale after a day", trigger="time",
        trigger_options={"anchor": "created", "hours": 24}, conditions=[],
        actions=[{"kind": "set_fields", "tags_add": ["stale"]}],
        enabled_at=NOW - timedelta(days=1), swept_until=NOW - timedelta(days=1),
        created_at=NOW - timedelta(days=1), updated_at=NOW - timedelta(days=1))
    tenant_bump_version(tenant, "automation_version")
    cases = [make_case(tenant, subject=f"Case {i}", now=NOW + timedelta(minutes=i))
             for i in range(60)]
    later = NOW + timedelta(days=2)

    def worker(_: int) -> int:
        time_rules_sweep(later)
        return events_process(later)

    ran = _race(worker)
    assert not [r for r in ran if isinstance(r, BaseException)], ran
    assert sum(r for r in ran if isinstance(r, int)) == len(cases)
    runs = Counter(RuleRun.objects.filter(tenant=tenant, outcome=RunOutcome.DONE)
                   .values_list("case_id", flat=True))
    assert runs == Counter({c.pk: 1 for c in cases})
    assert AutomationEvent.objects.filter(tenant=tenant).count() == len(cases)
    assert all(c.tags == ["stale"] for c in Case.objects.filter(tenant=tenant))

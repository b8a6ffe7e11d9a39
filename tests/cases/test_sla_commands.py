"""`casedesk sla_sweep` and the worker's schedule."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from casedesk.cases.sla_sweep import run_due_sweeps
from casedesk.core import clock
from casedesk.sla.policies import sla_seed_defaults
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW
from tests.factories import make_case


def test_the_command_sweeps_a_tenant_and_reports(tenant, monkeypatch) -> None:
    sla_seed_defaults(tenant, NOW)
    make_case(tenant, now=NOW)
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(days=1))
    out = StringIO()
    call_command("sla_sweep", "--tenant", "acme", stdout=out)
    assert out.getvalue().startswith("1 case(s) breached (1 first response, 0 resolution)")
    out = StringIO()
    call_command("sla_sweep", "--json", stdout=out)
    assert json.loads(out.getvalue())["cases"] == 0  # already marked


def test_an_unknown_tenant_is_an_error(db) -> None:
    with pytest.raises(CommandError, match="No tenant with the slug 'nope'"):
        call_command("sla_sweep", "--tenant", "nope")


def test_the_schedule_sweeps_each_tenant_at_its_interval(tenant, other_tenant) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(sla_sweep_minutes=15)
    assert list(run_due_sweeps(NOW)) == ["acme"]  # globex has no schedule
    assert run_due_sweeps(NOW + timedelta(minutes=14)) == {}
    assert list(run_due_sweeps(NOW + timedelta(minutes=15))) == ["acme"]
    assert Tenant.objects.get(pk=tenant.pk).sla_swept_at == NOW + timedelta(minutes=15)

"""`casedesk train`: trains now and prints each target's held-out accuracy against the
baseline; refuses an unknown tenant."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casedesk.assist.models import TriageModel
from casedesk.assist.synthetic import history_write
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW


def run(*args: str) -> str:
    out = StringIO()
    call_command("train", *args, stdout=out)
    return out.getvalue()


def test_train_prints_the_version_and_each_targets_accuracy(
    tenant: Tenant, admin: Membership
) -> None:
    history_write(tenant, n=400, seed=21, now=NOW - timedelta(days=1))
    output = run("--tenant", tenant.slug)
    model = TriageModel.objects.get(tenant=tenant)
    assert model.trigger == "command" and model.usable
    first = output.splitlines()[0]
    assert first.startswith(f"{tenant.slug}: triage model v1 (usable); trained on ")
    assert f"measured on {model.held_out} held-out cases" in first
    lines = {line.split()[0]: line for line in output.splitlines()[1:]}
    assert set(lines) == {"category", "subcategory", "type", "priority", "queue"}
    category = model.scores["category"]
    assert f"accuracy {category['accuracy']:6.1%}" in lines["category"]
    assert f"baseline {category['baseline']:6.1%}" in lines["category"]
    assert lines["category"].endswith("usable")
    assert run("--tenant", tenant.slug).startswith(f"{tenant.slug}: triage model v2 ")


def test_train_says_why_a_small_tenant_gets_no_model(tenant: Tenant) -> None:
    output = run("--tenant", tenant.slug)
    assert "v1 (not usable: Too little history: 0 resolved cases" in output


def test_train_all_trains_every_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    output = run("--all")
    assert f"{tenant.slug}: triage model v1" in output
    assert f"{other_tenant.slug}: triage model v1" in output


def test_an_unknown_tenant_or_no_choice_is_an_error(tenant: Tenant) -> None:
    with pytest.raises(CommandError, match="No tenant with the slug 'nope'"):
        run("--tenant", "nope")
    with pytest.raises(CommandError, match="--tenant"):
        run()
    assert not TriageModel.objects.exists()

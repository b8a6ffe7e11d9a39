"""What making a case costs in statements, and the per-process copies that keep it low: the
picklists and custom fields new cases are checked against (`Tenant.fields_version`), the
marks other apps keep per case (written once per change), and the rules' use of the case the
change holds."""

from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from casedesk.assist.models import SimilarDirty
from casedesk.cases.changes import case_change
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.hooks import cases_touched
from casedesk.cases.models import Case, CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.cases.picklists import Picklists, field_specs, picklist_value_add
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.crm.models import Account, Contact
from casedesk.reports.models import FactStale
from casedesk.tenancy.models import Membership, Tenant
from tests.automation.test_engine import add_rule
from tests.conftest import NOW


def _statements(ctx: CaptureQueriesContext, table: str, verb: str = "INSERT") -> int:
    return sum(1 for q in ctx.captured_queries
               if q["sql"].startswith(verb) and f'"{table}"' in q["sql"].split("(")[0])


def _input(tenant: Tenant, **extra: Any) -> CaseInput:
    n = Contact.objects.filter(tenant=tenant).count()
    account = Account.objects.create(tenant=tenant, name=f"Initech {n}")
    contact = Contact.objects.create(tenant=tenant, account=account, name="Peter",
                                     email=f"peter{n}@initech.test")
    return CaseInput(subject="The printer is on fire", description="Smoke everywhere.",
                     category="Technical", subcategory="Login", type="Bug", source="web",
                     contact_id=contact.pk, account_id=account.pk, **extra)


def test_a_new_case_with_routing_and_its_acknowledgement_rule_stays_within_its_statements(
        tenant: Tenant, agent: Membership, support_queue: Any) -> None:
    case_create(tenant=tenant, actor=agent.user, data=_input(tenant), now=NOW)  # warm copies
    data = _input(tenant, queue_id=support_queue.pk)
    with CaptureQueriesContext(connection) as ctx:
        case, created = case_create(tenant=tenant, actor=agent.user, data=data, now=NOW,
                                    idempotency_key="first-try")
    assert created and case.queue_id == support_queue.pk
    # Each other app's mark is written once, though creation, routing and the rule touch it.
    assert _statements(ctx, "reports_factstale") == 1
    assert _statements(ctx, "assist_similardirty") == 1
    assert FactStale.objects.filter(case=case).exists()
    assert SimilarDirty.objects.filter(case_id=case.pk).exists()
    # Neither the picklists nor the custom fields are read again, nor the case by the rules.
    assert _statements(ctx, "cases_picklistvalue", "SELECT") == 0
    assert _statements(ctx, "cases_customfielddefinition", "SELECT") == 0
    assert _statements(ctx, "cases_case", "SELECT") == 0
    # Today's path, with the acknowledgement queued (SQLite numbers with two statements,
    # PostgreSQL with one): a change that adds a statement to every new case shows here first.
    assert len(ctx.captured_queries) <= 25, "\n".join(q["sql"][:120]
                                                      for q in ctx.captured_queries)


def test_rules_work_on_a_copy_of_the_case_the_change_holds(
        tenant: Tenant, agent: Membership) -> None:
    add_rule(tenant, name="Fires are urgent",
             conditions=[{"field": "subject", "op": "contains", "value": "fire"}],
             actions=[{"kind": "set_fields", "priority": "urgent", "tags_add": ["fire"]}])
    case, _ = case_create(tenant=tenant, actor=agent.user, data=_input(tenant), now=NOW)
    stored = Case.objects.get(pk=case.pk)
    assert stored.priority == Priority.URGENT and stored.tags == ["fire"]
    # What the caller answers with is the case as its own change made it, as before the
    # rules stopped reading it again; the rule's change is the timeline's next entry.
    assert case.priority == Priority.NORMAL and case.tags == []


def test_marks_of_a_change_that_fails_are_forgotten(tenant: Tenant, agent: Membership) -> None:
    case, _ = case_create(tenant=tenant, actor=agent.user, data=_input(tenant), now=NOW)
    FactStale.objects.all().delete()
    with pytest.raises(RuntimeError), case_change():
        cases_touched(tenant.pk, [case.pk])
        raise RuntimeError("rolled back")
    with case_change():  # the next change ends without the failed one's marks
        cases_touched(tenant.pk, [])
    assert not FactStale.objects.filter(case=case).exists()


def test_outside_a_change_marks_are_written_at_once(tenant: Tenant, agent: Membership) -> None:
    case, _ = case_create(tenant=tenant, actor=agent.user, data=_input(tenant), now=NOW)
    FactStale.objects.all().delete()
    cases_touched(tenant.pk, [case.pk])
    assert FactStale.objects.filter(case=case).exists()


def test_a_value_added_through_the_service_is_accepted_at_once(tenant: Tenant) -> None:
    assert "Hardware" not in Picklists.of(tenant).all(PicklistKind.CATEGORY)
    picklist_value_add(tenant=tenant, kind=PicklistKind.CATEGORY, value="Hardware")
    assert "Hardware" in Picklists.of(tenant).all(PicklistKind.CATEGORY)


def test_a_row_saved_directly_is_seen_too(tenant: Tenant) -> None:
    """The admin site and fixtures save rows without the services: the copy goes as well."""
    assert field_specs(tenant) == []
    CustomFieldDefinition.objects.create(tenant=tenant, key="seats", label="Seats",
                                         kind="number")
    assert [spec.key for spec in field_specs(tenant)] == ["seats"]
    PicklistValue.objects.filter(tenant=tenant, value="Billing").first().delete()
    with pytest.raises(Invalid):
        Picklists.of(tenant).check(PicklistKind.CATEGORY, "Billing")


def test_another_process_change_is_seen_by_the_version_the_tenant_row_carries(
        tenant: Tenant, django_assert_num_queries: Any) -> None:
    Picklists.of(tenant)
    with django_assert_num_queries(0):
        Picklists.of(tenant)  # current copy: no read
    # Another process wrote a value: its commit moved the version on, and the value is there.
    PicklistValue.objects.bulk_create([PicklistValue(tenant=tenant,
                                                     kind=PicklistKind.CATEGORY,
                                                     value="Hardware")])
    Tenant.objects.filter(pk=tenant.pk).update(fields_version=F("fields_version") + 1)
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert "Hardware" in Picklists.of(fresh).all(PicklistKind.CATEGORY)

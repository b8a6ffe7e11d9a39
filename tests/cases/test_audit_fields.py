"""What the tenant's picklists and custom fields record in the audit log: one entry per change
(a rename with a retirement through the API is one), old and new values, none for a
refusal."""

import pytest

from casedesk.cases.models import PicklistValue
from casedesk.cases.picklists import (
    custom_field_create,
    custom_field_update,
    custom_fields_reorder,
    picklist_value_add,
    picklist_value_rename,
    picklist_value_set_active,
    picklist_values_reorder,
)
from casedesk.core.errors import Conflict, Invalid
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.conftest import Api


def entries(tenant: Tenant, prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant=tenant, action__startswith=prefix)
                .order_by("id"))


def test_picklist_values_are_recorded(tenant) -> None:
    item = picklist_value_add(tenant=tenant, kind="type", value="Complaint")
    picklist_value_rename(item=item, value="Complaints")
    picklist_value_set_active(item=item, active=False)
    picklist_value_set_active(item=item, active=False)  # already retired: no change
    picklist_value_set_active(item=item, active=True)
    with pytest.raises(Conflict):
        picklist_value_add(tenant=tenant, kind="type", value="Complaints")
    log = entries(tenant, "picklist_value")
    assert [e.action for e in log] == [
        "picklist_value.added", "picklist_value.renamed", "picklist_value.retired",
        "picklist_value.restored"]
    assert log[0].changes["value"] == [None, "Complaint"]
    assert log[0].target_label == "type: Complaint"
    assert log[1].changes == {"value": ["Complaint", "Complaints"]}
    assert log[1].detail == {"cases_changed": 0}
    assert log[2].changes == {"is_active": [True, False]}


def test_an_api_change_of_a_value_is_one_entry(clock, admin_api: Api, admin, tenant) -> None:
    item = PicklistValue.objects.get(tenant=tenant, kind="type", value="Question")
    response = admin_api.patch(f"/picklists/type/{item.pk}",
                               {"value": "Questions", "is_active": False})
    assert response.status_code == 200, response.content
    [entry] = entries(tenant, "picklist_value")
    assert entry.action == "picklist_value.updated"
    assert entry.changes == {"value": ["Question", "Questions"], "is_active": [True, False]}
    assert (entry.actor_id, entry.via) == (admin.user_id, "api")


def test_reordering_a_picklist_records_the_values_order(tenant) -> None:
    rows = list(PicklistValue.objects.filter(tenant=tenant, kind="type", is_active=True)
                .order_by("position", "pk"))
    picklist_values_reorder(item=rows[0], value_ids=[r.pk for r in reversed(rows)])
    [entry] = entries(tenant, "picklist.")
    assert entry.changes == {"order": [[r.value for r in rows],
                                       [r.value for r in reversed(rows)]]}


def test_custom_fields_are_recorded(tenant) -> None:
    first = custom_field_create(tenant=tenant, key="plan", label="Plan", kind="text")
    second = custom_field_create(tenant=tenant, key="seats", label="Seats", kind="number")
    custom_field_update(definition=first, changes={"label": "Plan name", "required": True})
    custom_field_update(definition=first, changes={"is_active": False})
    custom_field_update(definition=first, changes={"is_active": True})
    # Restored, `plan` came back after `seats`; put it first again.
    custom_fields_reorder(tenant=tenant, field_ids=[first.pk, second.pk])
    with pytest.raises(Invalid):
        custom_field_update(definition=first, changes={"label": " "})
    with pytest.raises(Invalid):
        custom_field_create(tenant=tenant, key="Bad Key", label="x", kind="text")
    log = entries(tenant, "custom_field")
    assert [e.action for e in log] == [
        "custom_field.created", "custom_field.created", "custom_field.updated",
        "custom_field.retired", "custom_field.restored", "custom_fields.reordered"]
    assert log[0].changes["kind"] == [None, "text"]
    assert log[2].changes == {"label": ["Plan", "Plan name"], "required": [False, True]}
    assert log[5].changes == {"order": [["seats", "plan"], ["plan", "seats"]]}

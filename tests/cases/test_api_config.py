"""Picklists and custom field definitions through the API: members read, admins write."""

import pytest

from casedesk.cases.models import CustomFieldDefinition, PicklistValue
from tests.api_checks import conforms, error

# --- picklists -------------------------------------------------------------------------------


def test_members_read_the_default_picklists(agent_api) -> None:
    response = agent_api.get("/picklists")
    body = conforms(response, "GET", "/picklists")
    kinds = {item["kind"] for item in body}
    assert kinds == {"type", "category", "subcategory", "closed_reason", "sub_status"}
    reasons = agent_api.get("/picklists/closed_reason")
    values = [item["value"] for item in conforms(reasons, "GET", "/picklists/{kind}")]
    assert values == ["Resolved", "Duplicate", "Customer unresponsive", "Won't fix", "Other"]
    subs = agent_api.get("/picklists/subcategory").json()
    assert {"value": "Refund", "parent": "Billing"}.items() <= next(
        s for s in subs if s["value"] == "Refund").items()


def test_an_unknown_picklist_kind_is_refused(agent_api) -> None:
    error(agent_api.get("/picklists/colour"), 422, field="kind")


def test_an_admin_adds_a_picklist_value_that_cases_may_then_use(admin_api, agent_api) -> None:
    error(agent_api.post("/cases", {"subject": "x", "type": "Complaint"}), 422, field="type")
    response = admin_api.post("/picklists/type", {"value": " Complaint ", "position": 9})
    assert response.status_code == 201
    body = conforms(response, "POST", "/picklists/{kind}")
    assert (body["kind"], body["value"], body["position"], body["is_active"]) == (
        "type", "Complaint", 9, True)
    assert agent_api.post("/cases", {"subject": "x", "type": "Complaint"}).status_code == 201


def test_a_subcategory_is_added_under_its_category(admin_api, agent_api) -> None:
    body = admin_api.post("/picklists/subcategory", {"value": "Chargeback",
                                                     "parent": "Billing"}).json()
    assert body["parent"] == "Billing"
    created = agent_api.post("/cases", {"subject": "x", "category": "Billing",
                                        "subcategory": "Chargeback"})
    assert created.status_code == 201


@pytest.mark.parametrize(("kind", "payload", "field"), [
    ("subcategory", {"value": "Orphan"}, "parent"),
    ("subcategory", {"value": "Orphan", "parent": "Gardening"}, "category"),
    ("sub_status", {"value": "Waiting on vendor", "parent": "limbo"}, "parent"),
    ("type", {"value": "Child", "parent": "Bug"}, "parent"),
    ("type", {"value": ""}, "value"),
    ("type", {"value": "   "}, "value"),
    ("type", {"value": "v" * 81}, "value"),
    ("type", {"value": "a\x00"}, "value"),
    ("type", {"value": "ok", "position": -1}, "position"),
    ("type", {"value": "ok", "position": 40000}, "position"),
])
def test_a_bad_picklist_value_is_refused(admin_api, tenant, kind, payload, field) -> None:
    before = PicklistValue.objects.filter(tenant=tenant).count()
    error(admin_api.post(f"/picklists/{kind}", payload), 422, field=field)
    assert PicklistValue.objects.filter(tenant=tenant).count() == before


def test_a_duplicate_picklist_value_is_refused(admin_api) -> None:
    error(admin_api.post("/picklists/type", {"value": "Bug"}), 409, mentions=("Bug",))


def test_an_admin_reorders_and_deactivates_a_value(admin_api, agent_api, tenant) -> None:
    bug = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    response = admin_api.patch(f"/picklists/type/{bug.pk}", {"position": 7, "is_active": False})
    body = conforms(response, "PATCH", "/picklists/{kind}/{value_id}")
    assert (body["id"], body["position"], body["is_active"]) == (bug.pk, 7, False)
    error(agent_api.post("/cases", {"subject": "x", "type": "Bug"}), 422, field="type")


def test_a_value_is_patched_only_under_its_own_kind(admin_api, tenant) -> None:
    bug = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    error(admin_api.patch(f"/picklists/category/{bug.pk}", {"position": 1}), 404)
    error(admin_api.patch("/picklists/type/999999", {"position": 1}), 404)


@pytest.mark.parametrize("payload", [{"position": None}, {"is_active": None}])
def test_picklist_fields_cannot_be_nulled(admin_api, tenant, payload) -> None:
    bug = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    error(admin_api.patch(f"/picklists/type/{bug.pk}", payload), 422, field=next(iter(payload)))


def test_agents_and_managers_may_not_change_picklists(agent_api, manager_api, tenant) -> None:
    bug = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    for api in (agent_api, manager_api):
        error(api.post("/picklists/type", {"value": "Mine"}), 403, mentions=("admin",))
        error(api.patch(f"/picklists/type/{bug.pk}", {"is_active": False}), 403)
    assert not PicklistValue.objects.filter(value="Mine").exists()
    assert PicklistValue.objects.get(pk=bug.pk).is_active


# --- custom fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "extra"), [
    ("text", {}), ("number", {}), ("date", {}), ("checkbox", {}),
    ("picklist", {"choices": ["EMEA", " APAC ", "EMEA", ""]}),
])
def test_an_admin_defines_a_custom_field_of_each_kind(admin_api, agent_api, kind,
                                                      extra) -> None:
    response = admin_api.post("/custom-fields", {"key": f"f_{kind}", "label": kind.title(),
                                                 "kind": kind, "required": True, **extra})
    assert response.status_code == 201, response.content
    body = conforms(response, "POST", "/custom-fields")
    assert (body["key"], body["kind"], body["required"], body["is_active"]) == (
        f"f_{kind}", kind, True, True)
    assert body["choices"] == (["EMEA", "APAC"] if kind == "picklist" else [])
    listed = conforms(agent_api.get("/custom-fields"), "GET", "/custom-fields")
    assert [f["key"] for f in listed] == [f"f_{kind}"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"key": "Bad Key", "label": "x", "kind": "text"}, "key"),
    ({"key": "1st", "label": "x", "kind": "text"}, "key"),
    ({"key": "k" * 51, "label": "x", "kind": "text"}, "key"),
    ({"key": "ok", "label": "", "kind": "text"}, "label"),
    ({"key": "ok", "label": "x", "kind": "colour"}, "kind"),
    ({"key": "ok", "label": "x", "kind": "picklist"}, "choices"),
    ({"key": "ok", "label": "x", "kind": "picklist", "choices": ["  "]}, "choices"),
    ({"key": "ok", "label": "x", "kind": "text", "choices": ["a"]}, "choices"),
    ({"key": "ok", "label": "a\x00", "kind": "text"}, "label"),
])
def test_a_bad_custom_field_definition_is_refused(admin_api, payload, field) -> None:
    body = error(admin_api.post("/custom-fields", payload), 422)
    assert body["field"].split(".")[0] == field
    assert not CustomFieldDefinition.objects.exists()


def test_a_duplicate_custom_field_key_is_refused(admin_api) -> None:
    admin_api.post("/custom-fields", {"key": "plan", "label": "Plan", "kind": "text"})
    error(admin_api.post("/custom-fields", {"key": "plan", "label": "Other", "kind": "number"}),
          409, mentions=("plan",))
    assert CustomFieldDefinition.objects.get(key="plan").kind == "text"


def test_an_admin_changes_a_custom_field(admin_api, agent_api, tenant) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="region", label="Region",
                                         kind="picklist", choices=["EMEA"])
    response = admin_api.patch("/custom-fields/region", {
        "label": "Sales region", "choices": ["EMEA", "APAC"], "required": True})
    body = conforms(response, "PATCH", "/custom-fields/{key}")
    assert (body["label"], body["choices"], body["required"]) == (
        "Sales region", ["EMEA", "APAC"], True)
    error(agent_api.post("/cases", {"subject": "x"}), 422, field="custom_fields.region")
    assert agent_api.post("/cases", {"subject": "x", "custom_fields": {"region": "APAC"}}
                          ).status_code == 201
    admin_api.patch("/custom-fields/region", {"is_active": False})
    assert agent_api.post("/cases", {"subject": "x"}).status_code == 201


def test_a_picklist_field_keeps_at_least_one_choice(admin_api, tenant) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="region", label="Region",
                                         kind="picklist", choices=["EMEA"])
    error(admin_api.patch("/custom-fields/region", {"choices": []}), 422, field="choices")
    error(admin_api.patch("/custom-fields/region", {"label": None}), 422, field="label")
    assert CustomFieldDefinition.objects.get(key="region").choices == ["EMEA"]


def test_an_unknown_custom_field_is_not_found(admin_api, tenant) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="k" * 50, label="Long",
                                         kind="text")
    error(admin_api.patch("/custom-fields/nothing", {"label": "x"}), 404)
    error(admin_api.patch(f"/custom-fields/{'k' * 300}", {"label": "x"}), 404)
    error(admin_api.patch("/custom-fields/a%00b", {"label": "x"}), 404)
    assert CustomFieldDefinition.objects.get(tenant=tenant).label == "Long"


def test_agents_and_managers_may_not_define_custom_fields(agent_api, manager_api,
                                                         tenant) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan", kind="text")
    for api in (agent_api, manager_api):
        error(api.post("/custom-fields", {"key": "mine", "label": "M", "kind": "text"}), 403,
              mentions=("admin",))
        error(api.patch("/custom-fields/plan", {"label": "Hacked"}), 403)
    assert not CustomFieldDefinition.objects.filter(key="mine").exists()
    assert CustomFieldDefinition.objects.get(key="plan").label == "Plan"


# --- renaming and retiring values --------------------------------------------------------------


def test_renaming_a_value_renames_it_on_its_cases(admin_api, agent_api, tenant,
                                                  new_case) -> None:
    case = new_case(type="Bug")
    bug = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    response = admin_api.patch(f"/picklists/type/{bug.pk}", {"value": " Defect "})
    body = conforms(response, "PATCH", "/picklists/{kind}/{value_id}")
    assert (body["id"], body["value"]) == (bug.pk, "Defect")
    assert agent_api.get(f"/cases/{case['number']}").json()["type"] == "Defect"
    error(admin_api.patch(f"/picklists/type/{bug.pk}", {"value": "Question"}), 409,
          mentions=("Question",))
    error(admin_api.patch(f"/picklists/type/{bug.pk}", {"value": "v" * 81}), 422,
          field="value")
    error(admin_api.patch(f"/picklists/type/{bug.pk}", {"value": None}), 422, field="value")
    assert PicklistValue.objects.get(pk=bug.pk).value == "Defect"


def test_a_retired_value_stays_on_its_cases(admin_api, agent_api, tenant, new_case) -> None:
    case = new_case(type="Bug")
    bug = PicklistValue.objects.get(tenant=tenant, kind="type", value="Bug")
    admin_api.patch(f"/picklists/type/{bug.pk}", {"is_active": False})
    response = agent_api.patch(f"/cases/{case['number']}", {"type": "Bug", "priority": "high"})
    assert response.status_code == 200, response.content
    assert (response.json()["type"], response.json()["priority"]) == ("Bug", "high")
    error(agent_api.patch(f"/cases/{new_case()['number']}", {"type": "Bug"}), 422,
          field="type")


# --- where a custom field shows, and its help text --------------------------------------------


def test_a_custom_field_tells_where_it_shows_and_its_help(admin_api, agent_api) -> None:
    response = admin_api.post("/custom-fields", {"key": "plan", "label": "Plan",
                                                 "kind": "text"})
    body = conforms(response, "POST", "/custom-fields")
    assert (body["help_text"], body["show_on_case_page"], body["show_on_new_case"],
            body["show_on_web_form"]) == ("", True, True, False)
    response = admin_api.post("/custom-fields", {
        "key": "root_cause", "label": "Root cause", "kind": "text", "required": True,
        "help_text": "Why it broke.", "show_on_new_case": False, "show_on_web_form": True})
    body = conforms(response, "POST", "/custom-fields")
    assert (body["help_text"], body["show_on_new_case"], body["show_on_web_form"]) == (
        "Why it broke.", False, True)
    listed = {f["key"]: f for f in agent_api.get("/custom-fields").json()}
    assert listed["root_cause"]["help_text"] == "Why it broke."
    # Required, but new cases are not asked for it: it binds none.
    assert agent_api.post("/cases", {"subject": "x"}).status_code == 201
    response = admin_api.patch("/custom-fields/root_cause", {
        "help_text": "", "show_on_case_page": False, "show_on_new_case": True})
    body = conforms(response, "PATCH", "/custom-fields/{key}")
    assert (body["help_text"], body["show_on_case_page"], body["show_on_new_case"]) == (
        "", False, True)
    error(agent_api.post("/cases", {"subject": "x"}), 422, field="custom_fields.root_cause")


@pytest.mark.parametrize(("payload", "field"), [
    ({"help_text": "h" * 301}, "help_text"),
    ({"help_text": "a\x00"}, "help_text"),
    ({"label": "l" * 101}, "label"),
    ({"choices": ["c" * 81]}, "choices"),
    ({"position": 32768}, "position"),
    ({"show_on_web_form": None}, "show_on_web_form"),
    ({"help_text": None}, "help_text"),
])
def test_a_bad_custom_field_change_is_refused(admin_api, tenant, payload, field) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="region", label="Region",
                                         kind="picklist", choices=["EMEA"])
    body = error(admin_api.patch("/custom-fields/region", payload), 422)
    assert body["field"].split(".")[0] == field
    region = CustomFieldDefinition.objects.get(key="region")
    assert (region.label, region.help_text, region.choices, region.show_on_web_form) == (
        "Region", "", ["EMEA"], False)

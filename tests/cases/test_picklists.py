"""The picklist and custom field services: what renaming and retiring a value do to the cases
that carry it and to what new input is offered, the order of a list, and the checks every
write makes before it stores anything."""

import pytest

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case, CustomFieldDefinition, PicklistValue
from casedesk.cases.picklists import (
    Picklists,
    custom_field_create,
    custom_field_update,
    custom_fields_reorder,
    field_specs,
    picklist_value_add,
    picklist_value_ids_in_order,
    picklist_value_rename,
    picklist_value_set_active,
    picklist_values_reorder,
    still_named_by,
)
from casedesk.cases.services import case_transition, case_update
from casedesk.console.case_fields import field_row, fill_editor
from casedesk.console.forms import CaseNewForm
from casedesk.core.errors import Conflict, Invalid
from casedesk.routing.services import RuleInput, rule_create
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW
from tests.factories import make_case


def value(tenant: Tenant, kind: str, name: str, parent: str = "") -> PicklistValue:
    return PicklistValue.objects.get(tenant=tenant, kind=kind, value=name, parent=parent)


def names(tenant: Tenant, kind: str, parent: str = "") -> list[str]:
    """The active values of one list, in order."""
    return list(PicklistValue.objects.filter(tenant=tenant, kind=kind, parent=parent,
                                             is_active=True)
                .order_by("position", "value", "id").values_list("value", flat=True))


# --- retiring ---------------------------------------------------------------------------------


def test_a_retired_value_is_not_offered_nor_accepted_for_new_input(tenant, agent) -> None:
    picklist_value_set_active(item=value(tenant, "type", "Bug"), active=False)
    assert "Bug" not in Picklists(tenant).all("type")
    assert ("Bug", "Bug") not in CaseNewForm(membership=agent).fields["type"].choices
    with pytest.raises(Invalid) as error:
        case_create(tenant=tenant, actor=None, data=CaseInput(subject="x", type="Bug"),
                    now=NOW)
    assert error.value.field == "type"


def test_old_cases_keep_a_retired_value_through_other_changes(tenant, agent) -> None:
    case = make_case(tenant, type="Bug", category="Billing", subcategory="Refund")
    picklist_value_set_active(item=value(tenant, "type", "Bug"), active=False)
    picklist_value_set_active(item=value(tenant, "category", "Billing"), active=False)
    case = case_update(case=case, actor=agent.user, now=NOW,
                       changes={"subject": "Refund twice", "priority": 3})
    # A client sending the case back whole repeats the retired values: they stay.
    case = case_update(case=case, actor=agent.user, now=NOW, changes={
        "type": "Bug", "category": "Billing", "subcategory": "Invoice"})
    case.refresh_from_db()
    assert (case.type, case.category, case.subcategory, case.subject) == (
        "Bug", "Billing", "Invoice", "Refund twice")
    with pytest.raises(Invalid):  # but it cannot be chosen anew
        case_update(case=make_case(tenant), actor=agent.user, now=NOW,
                    changes={"type": "Bug"})


def test_the_case_page_editor_keeps_offering_the_retired_value_a_case_carries(
        tenant, agent) -> None:
    case = make_case(tenant, type="Bug", category="Billing", subcategory="Refund")
    picklist_value_set_active(item=value(tenant, "type", "Bug"), active=False)
    picklist_value_set_active(item=value(tenant, "category", "Billing"), active=False)
    picklist_value_set_active(item=value(tenant, "subcategory", "Refund", "Billing"),
                              active=False)
    other = make_case(tenant, type="Question")
    for name, kept in (("type", "Bug"), ("category", "Billing")):
        row = fill_editor(field_row(case, name, []), case, agent, [])
        assert (kept, kept) in row.options
        row = fill_editor(field_row(other, name, []), other, agent, [])
        assert (kept, kept) not in row.options
    row = fill_editor(field_row(case, "category", []), case, agent, [])
    assert ("Refund", "Refund") in dict(row.groups)["Billing"]


def test_a_retired_closed_reason_closes_no_more_cases(tenant, agent) -> None:
    picklist_value_set_active(item=value(tenant, "closed_reason", "Duplicate"), active=False)
    case = make_case(tenant)
    for status in ("open", "in_progress"):
        case = case_transition(case=case, actor=agent.user, to=status, now=NOW)
    case = case_transition(case=case, actor=agent.user, to="resolved", note="Done", now=NOW)
    with pytest.raises(Invalid):
        case_transition(case=case, actor=agent.user, to="closed", note="Dup",
                        closed_reason="Duplicate", now=NOW)


def test_retiring_twice_changes_nothing_and_un_retiring_puts_it_last(tenant) -> None:
    bug = value(tenant, "type", "Bug")
    picklist_value_set_active(item=bug, active=False)
    picklist_value_set_active(item=bug, active=False)
    assert names(tenant, "type") == ["Question", "Feature Request", "Billing", "Onboarding",
                                     "Other"]
    picklist_value_set_active(item=bug, active=True)
    assert names(tenant, "type")[-1] == "Bug"
    assert value(tenant, "type", "Bug").is_active


# --- renaming ---------------------------------------------------------------------------------


def test_renaming_changes_the_spelling_on_the_cases_of_this_tenant_only(
        tenant, other_tenant) -> None:
    ours = make_case(tenant, type="Bug")
    theirs = make_case(other_tenant, type="Bug")
    updated_at = ours.updated_at
    assert picklist_value_rename(item=value(tenant, "type", "Bug"), value=" Defect ") == 1
    ours.refresh_from_db()
    assert (ours.type, ours.updated_at) == ("Defect", updated_at)
    assert Case.objects.get(pk=theirs.pk).type == "Bug"
    assert "Defect" in Picklists(tenant).all("type")
    assert "Bug" not in Picklists(tenant).all("type")


def test_renaming_a_sub_status_changes_the_cases_in_its_status_only(tenant) -> None:
    item = picklist_value_add(tenant=tenant, kind="sub_status", value="Waiting on vendor",
                              parent="in_progress")
    picklist_value_add(tenant=tenant, kind="sub_status", value="Waiting on vendor",
                       parent="pending_customer")
    working = make_case(tenant)
    waiting = make_case(tenant)
    Case.objects.filter(pk=working.pk).update(status="in_progress",
                                              sub_status="Waiting on vendor")
    Case.objects.filter(pk=waiting.pk).update(status="pending_customer",
                                              sub_status="Waiting on vendor")
    assert picklist_value_rename(item=item, value="Vendor") == 1
    assert Case.objects.get(pk=working.pk).sub_status == "Vendor"
    assert Case.objects.get(pk=waiting.pk).sub_status == "Waiting on vendor"


def test_renaming_a_retired_value_renames_it_on_old_cases_too(tenant) -> None:
    case = make_case(tenant, category="Technical", subcategory="Login")
    login = value(tenant, "subcategory", "Login", "Technical")
    picklist_value_set_active(item=login, active=False)
    picklist_value_rename(item=login, value="Sign-in")
    case.refresh_from_db()
    assert case.subcategory == "Sign-in" and not value(
        tenant, "subcategory", "Sign-in", "Technical").is_active


@pytest.mark.parametrize(("new", "error", "field"), [
    ("Question", Conflict, None), ("", Invalid, "value"), ("   ", Invalid, "value"),
    ("x" * 81, Invalid, "value"), ("a\x00", Invalid, "value"),
])
def test_a_bad_rename_changes_nothing(tenant, new, error, field) -> None:
    case = make_case(tenant, type="Bug")
    with pytest.raises(error) as raised:
        picklist_value_rename(item=value(tenant, "type", "Bug"), value=new)
    assert getattr(raised.value, "field", None) == field
    assert Case.objects.get(pk=case.pk).type == "Bug"
    assert value(tenant, "type", "Bug").is_active


def test_renaming_to_the_same_spelling_changes_nothing(tenant) -> None:
    make_case(tenant, type="Bug")
    assert picklist_value_rename(item=value(tenant, "type", "Bug"), value="Bug") == 0


def test_what_still_names_a_value_is_found_without_regard_to_case(tenant, finance) -> None:
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Money", actions={"queue_id": finance.pk},
        conditions=[{"field": "category", "op": "in", "value": ["billing", "Account"]}]))
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Typed", actions={"queue_id": finance.pk},
        conditions=[{"field": "type", "op": "equals", "value": "Billing"}]))
    named = still_named_by(tenant, "category", "Billing")
    assert "routing rule “Money”" in named and "routing rule “Typed”" not in named
    assert still_named_by(tenant, "closed_reason", "Billing") == []


# --- adding and ordering ----------------------------------------------------------------------


def test_a_new_value_goes_last_unless_placed(tenant) -> None:
    picklist_value_add(tenant=tenant, kind="type", value="Complaint")
    assert names(tenant, "type")[-1] == "Complaint"
    placed = picklist_value_add(tenant=tenant, kind="type", value="Praise", position=0)
    assert placed.position == 0


@pytest.mark.parametrize(("kind", "parent", "field"), [
    ("type", "x" * 81, "parent"), ("subcategory", "", "parent"),
    ("subcategory", "Gardening", "category"), ("sub_status", "limbo", "parent"),
    ("colour", "", "kind"),
])
def test_a_value_with_a_bad_parent_or_kind_is_refused(tenant, kind, parent, field) -> None:
    with pytest.raises(Invalid) as error:
        picklist_value_add(tenant=tenant, kind=kind, value="New", parent=parent)
    assert error.value.field == field
    assert not PicklistValue.objects.filter(tenant=tenant, value="New").exists()


def test_a_subcategory_of_a_retired_category_is_refused(tenant) -> None:
    picklist_value_set_active(item=value(tenant, "category", "General"), active=False)
    with pytest.raises(Invalid):
        picklist_value_add(tenant=tenant, kind="subcategory", value="New", parent="General")


def test_a_list_is_reordered_only_whole(tenant) -> None:
    refund = value(tenant, "subcategory", "Refund", "Billing")
    order = picklist_value_ids_in_order(refund)
    for bad in ([], order[:-1], [*order, order[0]], [*order, value(tenant, "type", "Bug").pk]):
        with pytest.raises(Invalid):
            picklist_values_reorder(item=refund, value_ids=bad)
    picklist_values_reorder(item=refund, value_ids=list(reversed(order)))
    assert names(tenant, "subcategory", "Billing") == ["Pricing", "Payment method", "Refund",
                                                       "Invoice"]


# --- custom fields ----------------------------------------------------------------------------


def test_a_custom_field_has_help_and_places_and_goes_last(tenant) -> None:
    first = custom_field_create(tenant=tenant, key="order_ref", label="Order", kind="text")
    second = custom_field_create(tenant=tenant, key="root_cause", label=" Root cause ",
                                 kind="text", help_text=" Why it broke. ",
                                 show_on_new_case=False, show_on_web_form=True)
    assert (second.label, second.help_text, second.show_on_case_page,
            second.show_on_new_case, second.show_on_web_form) == (
        "Root cause", "Why it broke.", True, False, True)
    assert second.position > first.position
    specs = {s.key: s for s in field_specs(tenant)}
    assert (specs["order_ref"].on_new_case, specs["root_cause"].on_new_case) == (True, False)


@pytest.mark.parametrize(("values", "field"), [
    ({"key": "Bad"}, "key"), ({"key": "k" * 51}, "key"), ({"label": " "}, "label"),
    ({"label": "l" * 101}, "label"), ({"help_text": "h" * 301}, "help_text"),
    ({"help_text": "a\x00"}, "help_text"), ({"kind": "colour"}, "kind"),
    ({"kind": "picklist", "choices": ["c" * 81]}, "choices"),
    ({"kind": "picklist", "choices": [str(i) for i in range(501)]}, "choices"),
    ({"position": 40_000}, "position"),
])
def test_a_bad_custom_field_is_refused_naming_the_field(tenant, values, field) -> None:
    with pytest.raises(Invalid) as error:
        custom_field_create(tenant=tenant, **{"key": "ok", "label": "Ok", "kind": "text",
                                              **values})
    assert error.value.field == field
    assert not CustomFieldDefinition.objects.filter(tenant=tenant).exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"label": "l" * 101}, "label"), ({"help_text": "h" * 301}, "help_text"),
    ({"key": "other"}, "key"), ({"kind": "number"}, "kind"), ({"choices": []}, "choices"),
])
def test_a_bad_custom_field_change_is_refused(tenant, changes, field) -> None:
    region = custom_field_create(tenant=tenant, key="region", label="Region",
                                 kind="picklist", choices=["EMEA"])
    with pytest.raises(Invalid) as error:
        custom_field_update(definition=region, changes=changes)
    assert error.value.field == field
    region.refresh_from_db()
    assert (region.key, region.label, region.choices) == ("region", "Region", ["EMEA"])


def test_custom_fields_are_reordered_only_whole_and_come_back_last(tenant) -> None:
    a = custom_field_create(tenant=tenant, key="a", label="A", kind="text")
    b = custom_field_create(tenant=tenant, key="b", label="B", kind="text")
    c = custom_field_create(tenant=tenant, key="c", label="C", kind="text")
    with pytest.raises(Invalid):
        custom_fields_reorder(tenant=tenant, field_ids=[a.pk, b.pk])
    custom_fields_reorder(tenant=tenant, field_ids=[c.pk, a.pk, b.pk])
    custom_field_update(definition=c, changes={"is_active": False})
    custom_field_update(definition=c, changes={"is_active": True})
    assert [s.key for s in field_specs(tenant)] == ["a", "b", "c"]


def test_a_retired_field_keeps_its_values_and_a_removed_choice_stays(tenant, agent) -> None:
    region = custom_field_create(tenant=tenant, key="region", label="Region",
                                 kind="picklist", choices=["EMEA", "APAC"])
    seats = custom_field_create(tenant=tenant, key="seats", label="Seats", kind="number")
    case = make_case(tenant, custom_fields={"region": "APAC", "seats": 3})
    custom_field_update(definition=region, changes={"choices": ["EMEA"]})
    case = case_update(case=case, actor=agent.user, now=NOW,
                       changes={"custom_fields": {"seats": 4}})
    assert case.custom_fields == {"region": "APAC", "seats": 4}
    custom_field_update(definition=region, changes={"is_active": False})
    case = case_update(case=case, actor=agent.user, now=NOW,
                       changes={"custom_fields": {"seats": 5}})
    assert case.custom_fields == {"region": "APAC", "seats": 5}
    with pytest.raises(Invalid):  # not offered for input any more
        case_update(case=case, actor=agent.user, now=NOW,
                    changes={"custom_fields": {"region": "EMEA"}})
    assert seats.is_active


def test_a_required_field_hidden_from_new_cases_binds_no_new_case(tenant, agent) -> None:
    root = custom_field_create(tenant=tenant, key="root_cause", label="Root cause",
                               kind="text", required=True, show_on_new_case=False)
    case = make_case(tenant)
    assert case.custom_fields == {}
    custom_field_update(definition=root, changes={"show_on_new_case": True})
    with pytest.raises(Invalid) as error:
        make_case(tenant)
    assert error.value.field == "custom_fields.root_cause"
    # An older case without it can still change its other fields, but not clear it.
    custom_field_create(tenant=tenant, key="seats", label="Seats", kind="number")
    case = case_update(case=case, actor=agent.user, now=NOW,
                       changes={"custom_fields": {"seats": 2}})
    case = case_update(case=case, actor=agent.user, now=NOW,
                       changes={"custom_fields": {"root_cause": "Disk"}})
    with pytest.raises(Invalid):
        case_update(case=case, actor=agent.user, now=NOW,
                    changes={"custom_fields": {"root_cause": None}})


@pytest.mark.django_db
def test_a_required_field_binds_only_the_channels_that_ask_for_it(tenant) -> None:
    from casedesk.cases.creation import CaseInput, case_create
    from casedesk.cases.picklists import custom_field_create
    from casedesk.core.errors import Invalid as Refused
    from tests.conftest import NOW

    custom_field_create(tenant=tenant, key="order", label="Order", kind="text", required=True,
                        show_on_new_case=True, show_on_web_form=False)
    custom_field_create(tenant=tenant, key="product", label="Product", kind="text",
                        required=True, show_on_new_case=False, show_on_web_form=True)
    with pytest.raises(Refused):  # the new-case page and the API ask for the order
        case_create(tenant=tenant, actor=None, now=NOW, data=CaseInput(subject="a"))
    with pytest.raises(Refused):  # the web form asks for the product
        case_create(tenant=tenant, actor=None, now=NOW,
                    data=CaseInput(subject="b", source="web"))
    web, _ = case_create(tenant=tenant, actor=None, now=NOW, data=CaseInput(
        subject="c", source="web", custom_fields={"product": "Widget"}))
    mail, _ = case_create(tenant=tenant, actor=None, now=NOW,
                          data=CaseInput(subject="d", source="email"))
    assert web.custom_fields == {"product": "Widget"} and mail.custom_fields == {}

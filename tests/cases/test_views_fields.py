"""The picklists and custom fields pages (`/settings/fields`): admins add, rename, move,
retire and un-retire values and define, change, move and retire custom fields; managers read;
agents get 403; another tenant's ids are 404; bad input is a form error that changes
nothing. And the console honours what the custom fields say (where they show, help text)."""

import uuid

import pytest
from django.test import Client

from casedesk.cases.models import Case, CustomFieldDefinition, PicklistValue, TimelineEvent
from casedesk.cases.picklists import INTERNAL_REFERRAL, custom_field_create
from casedesk.routing.models import RoutingRule
from casedesk.routing.services import RuleInput, rule_create
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW, login
from tests.factories import make_case

HX = {"HTTP_HX_REQUEST": "true"}
PAGE = "/settings/fields"


def value(tenant: Tenant, kind: str, name: str, parent: str = "") -> PicklistValue:
    return PicklistValue.objects.get(tenant=tenant, kind=kind, value=name, parent=parent)


def active(tenant: Tenant, kind: str, parent: str = "") -> list[str]:
    return list(PicklistValue.objects.filter(tenant=tenant, kind=kind, parent=parent,
                                             is_active=True)
                .order_by("position", "value").values_list("value", flat=True))


def field_form(**overrides: str) -> dict[str, str]:
    data = {"key": "order_ref", "label": "Order reference", "kind": "text", "choices": "",
            "help_text": "", "show_on_case_page": "on", "show_on_new_case": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def region(tenant: Tenant) -> CustomFieldDefinition:
    return custom_field_create(tenant=tenant, key="region", label="Region", kind="picklist",
                               choices=["EMEA", "APAC"])


@pytest.fixture
def order_ref(tenant: Tenant) -> CustomFieldDefinition:
    return custom_field_create(tenant=tenant, key="order_ref", label="Order reference",
                               kind="text")


# --- who may see and change what -------------------------------------------------------------


def test_agents_get_403_everywhere(tenant, agent, region):
    client = login(agent)
    bug = value(tenant, "type", "Bug")
    for path in (PAGE, "/settings/fields/custom/new", f"/settings/fields/custom/{region.pk}"):
        assert client.get(path).status_code == 403, path
    for path, data in (
        ("/settings/fields/values/type/add", {"value": "Mine"}),
        (f"/settings/fields/values/{bug.pk}/rename", {"value": "Hacked"}),
        (f"/settings/fields/values/{bug.pk}/move", {"direction": "down"}),
        (f"/settings/fields/values/{bug.pk}/retire", {}),
        (f"/settings/fields/values/{bug.pk}/restore", {}),
        ("/settings/fields/custom/new", field_form(key="mine")),
        (f"/settings/fields/custom/{region.pk}", field_form(label="Hacked")),
        (f"/settings/fields/custom/{region.pk}/move", {"direction": "down"}),
        (f"/settings/fields/custom/{region.pk}/retire", {}),
    ):
        assert client.post(path, data).status_code == 403, path
    assert value(tenant, "type", "Bug").is_active
    assert not PicklistValue.objects.filter(tenant=tenant, value__in=["Mine", "Hacked"]).exists()
    assert CustomFieldDefinition.objects.get(pk=region.pk).label == "Region"
    assert not CustomFieldDefinition.objects.filter(key="mine").exists()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(db):
    response = Client().get(PAGE)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_managers_read_without_the_controls(tenant, manager, region):
    client = login(manager)
    response = client.get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="read-only"' in body and "Bug" in body and "Region" in body
    assert "Rename…" not in body and "Retire" not in body and "/values/type/add" not in body
    form = client.get(f"/settings/fields/custom/{region.pk}")
    assert form.status_code == 200
    assert "<fieldset class=\"bare\" disabled>" in form.content.decode()
    bug = value(tenant, "type", "Bug")
    assert client.post(f"/settings/fields/values/{bug.pk}/retire").status_code == 403
    assert client.post(f"/settings/fields/custom/{region.pk}",
                       field_form(label="Hacked")).status_code == 403
    assert client.get("/settings/fields/custom/new").status_code == 403
    assert value(tenant, "type", "Bug").is_active


def test_another_tenants_values_and_fields_are_404(tenant, admin, other_tenant):
    theirs = PicklistValue.objects.create(tenant=other_tenant, kind="type", value="Globex")
    field = CustomFieldDefinition.objects.create(tenant=other_tenant, key="globex",
                                                 label="Globex", kind="text")
    client = login(admin)
    for path, data in (
        (f"/settings/fields/values/{theirs.pk}/rename", {"value": "Mine now"}),
        (f"/settings/fields/values/{theirs.pk}/move", {"direction": "up"}),
        (f"/settings/fields/values/{theirs.pk}/retire", {}),
        (f"/settings/fields/values/{theirs.pk}/restore", {}),
        (f"/settings/fields/custom/{field.pk}", field_form(label="Mine now")),
        (f"/settings/fields/custom/{field.pk}/move", {"direction": "up"}),
        (f"/settings/fields/custom/{field.pk}/retire", {}),
        (f"/settings/fields/custom/{field.pk}/restore", {}),
        ("/settings/fields/values/999999999/retire", {}),
        (f"/settings/fields/values/{2**70}/retire", {}),
    ):
        assert client.post(path, data).status_code == 404, path
    assert client.get(f"/settings/fields/custom/{field.pk}").status_code == 404
    theirs.refresh_from_db()
    field.refresh_from_db()
    assert (theirs.value, theirs.is_active, field.label, field.is_active) == (
        "Globex", True, "Globex", True)
    assert "Globex" not in client.get(PAGE).content.decode()


def test_an_unknown_picklist_is_404(admin):
    assert login(admin).post("/settings/fields/values/colour/add",
                             {"value": "Red"}).status_code == 404


# --- the overview ----------------------------------------------------------------------------


def test_the_overview_lists_every_picklist_in_order_and_the_custom_fields(tenant, admin,
                                                                         region):
    PicklistValue.objects.filter(tenant=tenant, kind="type", value="Onboarding").update(
        is_active=False)
    response = login(admin).get(PAGE)
    assert response.status_code == 200
    assert response.context["nav"] == "settings"
    sections = {s.kind: s for s in response.context["sections"]}
    assert list(sections) == ["type", "category", "subcategory", "closed_reason", "sub_status"]
    types = sections["type"].groups[0]
    assert [line.name for line in types.active] == active(tenant, "type")
    assert [v.value for v in types.retired] == ["Onboarding"]
    subs = {g.parent: [line.name for line in g.active] for g in sections["subcategory"].groups}
    assert subs["Billing"] == ["Invoice", "Refund", "Payment method", "Pricing"]
    assert [g.parent for g in sections["sub_status"].groups] == ["in_progress"]
    body = response.content.decode()
    assert 'data-testid="retired-value-row"' in body and "Onboarding" in body
    assert body.index("Question") < body.index("Feature Request")
    assert "Region" in body and "<code>region</code>" in body


def test_the_add_forms_offer_the_right_parents(tenant, admin):
    PicklistValue.objects.filter(tenant=tenant, kind="category", value="General").update(
        is_active=False)
    sections = {s.kind: s for s in login(admin).get(PAGE).context["sections"]}
    categories = [c for c, _ in sections["subcategory"].form.fields["parent"].choices if c]
    assert categories == ["Billing", "Technical", "Account", "Onboarding"]
    statuses = [s for s, _ in sections["sub_status"].form.fields["parent"].choices if s]
    assert statuses == ["new", "open", "in_progress", "pending_customer", "resolved", "closed"]
    assert "parent" not in sections["type"].form.fields
    assert "parent" not in sections["closed_reason"].form.fields


# --- picklist values -------------------------------------------------------------------------


def test_an_admin_adds_a_value_at_the_end_of_its_list(tenant, admin):
    client = login(admin)
    response = client.post("/settings/fields/values/type/add", {"value": "  Complaint "})
    added = value(tenant, "type", "Complaint")
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#value-{added.pk}"
    assert active(tenant, "type")[-1] == "Complaint"
    page = client.get(response["Location"])
    assert "“Complaint” added to the types." in messages_of(page)


def test_subcategories_and_sub_statuses_are_added_under_their_parent(tenant, admin):
    client = login(admin)
    assert client.post("/settings/fields/values/subcategory/add",
                       {"value": "Chargeback", "parent": "Billing"}).status_code == 302
    assert value(tenant, "subcategory", "Chargeback", "Billing").is_active
    assert client.post("/settings/fields/values/sub_status/add",
                       {"value": "Waiting on vendor", "parent": "pending_customer"}
                       ).status_code == 302
    assert value(tenant, "sub_status", "Waiting on vendor", "pending_customer").is_active


@pytest.mark.parametrize(("kind", "data", "status", "error_on", "words"), [
    ("type", {"value": "Bug"}, 409, "value", "already"),
    ("type", {"value": "   "}, 422, "value", "empty"),
    ("type", {"value": "v" * 81}, 422, "value", "80"),
    ("type", {"value": "a\x00b"}, 422, "value", "null"),
    ("closed_reason", {"value": "x" * 5000}, 422, "value", "80"),
    ("subcategory", {"value": "Orphan"}, 422, "parent", "category"),
    ("subcategory", {"value": "Orphan", "parent": "Gardening"}, 422, "parent", "valid"),
    ("sub_status", {"value": "Limbo", "parent": "limbo"}, 422, "parent", "valid"),
])
def test_a_bad_value_is_a_form_error_and_adds_nothing(tenant, admin, kind, data, status,
                                                      error_on, words):
    before = PicklistValue.objects.filter(tenant=tenant).count()
    response = login(admin).post(f"/settings/fields/values/{kind}/add", data)
    assert response.status_code == status
    form = next(s.form for s in response.context["sections"] if s.kind == kind)
    assert words in " ".join(form.errors[error_on]).lower()
    assert 'data-testid="form-error"' in response.content.decode()
    assert PicklistValue.objects.filter(tenant=tenant).count() == before


def test_renaming_a_value_renames_it_on_the_cases_that_carry_it(tenant, admin, other_tenant):
    ours = [make_case(tenant, type="Bug"), make_case(tenant, type="Bug")]
    question = make_case(tenant, type="Question")
    theirs = make_case(other_tenant, type="Bug")
    events = TimelineEvent.objects.count()
    bug = value(tenant, "type", "Bug")
    client = login(admin)
    response = client.post(f"/settings/fields/values/{bug.pk}/rename", {"value": "Defect"})
    assert response.status_code == 302 and response["Location"].endswith(f"#value-{bug.pk}")
    assert value(tenant, "type", "Defect").pk == bug.pk
    assert [Case.objects.get(pk=c.pk).type for c in ours] == ["Defect", "Defect"]
    assert Case.objects.get(pk=question.pk).type == "Question"
    assert Case.objects.get(pk=theirs.pk).type == "Bug"
    assert TimelineEvent.objects.count() == events  # a change of spelling, not of the cases
    assert "“Bug” renamed to “Defect”, on 2 cases too." in messages_of(
        client.get(response["Location"]))


def test_renaming_a_category_moves_its_subcategories_and_names_the_rules_left_behind(
        tenant, admin, finance):
    case = make_case(tenant, category="Billing", subcategory="Refund")
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Billing to Finance", actions={"queue_id": finance.pk},
        conditions=[{"field": "category", "op": "equals", "value": "billing"}]))
    billing = value(tenant, "category", "Billing")
    client = login(admin)
    response = client.post(f"/settings/fields/values/{billing.pk}/rename",
                           {"value": "Invoicing"}, follow=True)
    case.refresh_from_db()
    assert (case.category, case.subcategory) == ("Invoicing", "Refund")
    assert active(tenant, "subcategory", "Invoicing")[:2] == ["Invoice", "Refund"]
    assert not PicklistValue.objects.filter(tenant=tenant, parent="Billing").exists()
    notes = messages_of(response)
    assert any("routing rule “Billing to Finance”" in n for n in notes)
    # Rules belong to routing: they keep what they say until an admin changes them.
    assert RoutingRule.objects.get(tenant=tenant).conditions[0]["value"] == "billing"


def test_renaming_a_subcategory_changes_only_the_cases_under_its_category(tenant, admin):
    client = login(admin)
    client.post("/settings/fields/values/subcategory/add", {"value": "Other", "parent": "Billing"})
    client.post("/settings/fields/values/subcategory/add",
                {"value": "Other", "parent": "Technical"})
    billing = make_case(tenant, category="Billing", subcategory="Other")
    technical = make_case(tenant, category="Technical", subcategory="Other")
    other = value(tenant, "subcategory", "Other", "Billing")
    client.post(f"/settings/fields/values/{other.pk}/rename", {"value": "Miscellaneous"})
    assert Case.objects.get(pk=billing.pk).subcategory == "Miscellaneous"
    assert Case.objects.get(pk=technical.pk).subcategory == "Other"


@pytest.mark.parametrize(("new", "status", "words"), [
    ("Question", 409, "already"),
    ("", 422, "empty"),
    ("x" * 81, 422, "80"),
])
def test_a_bad_rename_is_a_form_error_and_changes_nothing(tenant, admin, new, status, words):
    case = make_case(tenant, type="Bug")
    bug = value(tenant, "type", "Bug")
    response = login(admin).post(f"/settings/fields/values/{bug.pk}/rename", {"value": new})
    assert response.status_code == status
    assert words in " ".join(response.context["rename_form"].errors["value"]).lower()
    body = response.content.decode()
    assert f'id="rename-error-{bug.pk}"' in body and "<details class=\"confirm\" open>" in body
    assert value(tenant, "type", "Bug").pk == bug.pk
    assert Case.objects.get(pk=case.pk).type == "Bug"


def test_the_sub_status_referrals_set_keeps_its_name(tenant, admin):
    referral = value(tenant, "sub_status", INTERNAL_REFERRAL, "in_progress")
    client = login(admin)
    response = client.post(f"/settings/fields/values/{referral.pk}/rename",
                           {"value": "Referred"})
    assert response.status_code == 422
    assert "referrals" in " ".join(response.context["rename_form"].errors["value"]).lower()
    response = client.post(f"/settings/fields/values/{referral.pk}/retire", **HX)
    assert response.status_code == 422 and b"Referrals" in response.content
    referral.refresh_from_db()
    assert (referral.value, referral.is_active) == (INTERNAL_REFERRAL, True)


def test_values_move_up_and_down_within_their_list(tenant, admin):
    client = login(admin)
    assert active(tenant, "type")[:2] == ["Question", "Bug"]
    bug = value(tenant, "type", "Bug")
    response = client.post(f"/settings/fields/values/{bug.pk}/move", {"direction": "up"}, **HX)
    assert response.status_code == 200
    assert "“Bug” moved up to place 1." in response.content.decode()
    assert active(tenant, "type")[:2] == ["Bug", "Question"]
    response = client.post(f"/settings/fields/values/{bug.pk}/move", {"direction": "up"}, **HX)
    assert "stays at place 1" in response.content.decode()
    response = client.post(f"/settings/fields/values/{bug.pk}/move", {"direction": "down"})
    assert response.status_code == 302
    assert active(tenant, "type")[:2] == ["Question", "Bug"]
    refund = value(tenant, "subcategory", "Refund", "Billing")
    client.post(f"/settings/fields/values/{refund.pk}/move", {"direction": "up"}, **HX)
    assert active(tenant, "subcategory", "Billing")[:2] == ["Refund", "Invoice"]
    assert active(tenant, "subcategory", "Technical")[0] == "Login"


def test_retiring_keeps_the_value_on_cases_and_stops_offering_it(tenant, admin, agent):
    case = make_case(tenant, type="Bug")
    bug = value(tenant, "type", "Bug")
    client = login(admin)
    response = client.post(f"/settings/fields/values/{bug.pk}/retire", **HX)
    assert response.status_code == 200
    assert "“Bug” retired" in response.content.decode()
    assert 'data-testid="retired-value-row"' in response.content.decode()
    assert not value(tenant, "type", "Bug").is_active
    assert Case.objects.get(pk=case.pk).type == "Bug"
    agent_page = login(agent)
    new_case = agent_page.get("/cases/new").content.decode()
    assert '<option value="Bug">' not in new_case and '<option value="Question">' in new_case
    # The case carrying it shows it, keeps it in its editor and through other edits.
    editor = agent_page.get(f"/cases/{case.display_number}/fields/type", **HX
                            ).content.decode()
    assert '<option value="Bug" selected>' in editor
    assert agent_page.post(f"/cases/{case.display_number}/fields/priority",
                           {"value": "high"}).status_code in (200, 302)
    assert agent_page.post(f"/cases/{case.display_number}/fields/type",
                           {"value": "Bug"}).status_code in (200, 302)
    case.refresh_from_db()
    assert (case.type, case.priority_name) == ("Bug", "high")
    # Un-retired, it is offered again, at the end of its list.
    response = client.post(f"/settings/fields/values/{bug.pk}/restore")
    assert response.status_code == 302
    assert active(tenant, "type")[-1] == "Bug"


def test_a_retired_value_cannot_be_moved(tenant, admin):
    bug = value(tenant, "type", "Bug")
    client = login(admin)
    client.post(f"/settings/fields/values/{bug.pk}/retire")
    response = client.post(f"/settings/fields/values/{bug.pk}/move", {"direction": "up"}, **HX)
    assert response.status_code == 422 and b"un-retire" in response.content


def test_plain_posts_answer_with_a_redirect_and_a_message(tenant, admin):
    bug = value(tenant, "type", "Bug")
    response = login(admin).post(f"/settings/fields/values/{bug.pk}/retire", follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert any("retired" in m for m in messages_of(response))


# --- custom fields ---------------------------------------------------------------------------


def test_an_admin_adds_a_custom_field_with_everything(tenant, admin, order_ref):
    client = login(admin)
    assert client.get("/settings/fields/custom/new").status_code == 200
    response = client.post("/settings/fields/custom/new", field_form(
        key="plan", label="Plan", kind="picklist", choices="Starter\r\n Pro \r\n\r\nStarter",
        required="on", help_text="What they pay for.", show_on_new_case=None,
        show_on_web_form="on"))
    plan = CustomFieldDefinition.objects.get(tenant=tenant, key="plan")
    assert response.status_code == 302 and response["Location"].endswith(f"#field-{plan.pk}")
    assert (plan.label, plan.kind, plan.choices, plan.required, plan.help_text) == (
        "Plan", "picklist", ["Starter", "Pro"], True, "What they pay for.")
    assert (plan.show_on_case_page, plan.show_on_new_case, plan.show_on_web_form) == (
        True, False, True)
    assert plan.position > order_ref.position
    assert "Plan" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(("data", "status", "error_on", "words"), [
    (field_form(key="order_ref"), 409, "key", "exists"),
    (field_form(key="Bad Key"), 422, "key", "lower-case"),
    (field_form(key="k" * 51), 422, "key", "50"),
    (field_form(key="fine", label="  "), 422, "label", "label"),
    (field_form(key="fine", label="l" * 101), 422, "label", "100"),
    (field_form(key="fine", help_text="h" * 301), 422, "help_text", "300"),
    (field_form(key="fine", kind="picklist"), 422, "choices", "choice"),
    (field_form(key="fine", kind="picklist", choices="c" * 81), 422, "choices", "80"),
    (field_form(key="fine", kind="text", choices="a"), 422, "choices", "only picklist"),
    (field_form(key="fine", kind="colour"), 422, "kind", "valid"),
])
def test_a_bad_custom_field_is_a_form_error_and_saves_nothing(tenant, admin, order_ref, data,
                                                              status, error_on, words):
    response = login(admin).post("/settings/fields/custom/new", data)
    assert response.status_code == status
    assert words in " ".join(response.context["form"].errors[error_on]).lower()
    assert 'data-testid="form-error"' in response.content.decode()
    assert list(CustomFieldDefinition.objects.filter(tenant=tenant).values_list(
        "key", flat=True)) == ["order_ref"]


def test_an_admin_changes_a_custom_field_but_not_its_key_or_kind(tenant, admin, region):
    client = login(admin)
    page = client.get(f"/settings/fields/custom/{region.pk}").content.decode()
    assert 'data-testid="field-key">region<' in page and 'name="key"' not in page
    response = client.post(f"/settings/fields/custom/{region.pk}", field_form(
        key="hacked", kind="text", label="Sales region", choices="EMEA\nAPAC\nAMER",
        required="on", help_text="Where the account sits.", show_on_case_page=None))
    assert response.status_code == 302
    region.refresh_from_db()
    assert (region.key, region.kind, region.label, region.choices, region.required,
            region.help_text, region.show_on_case_page, region.show_on_new_case) == (
        "region", "picklist", "Sales region", ["EMEA", "APAC", "AMER"], True,
        "Where the account sits.", False, True)
    response = client.post(f"/settings/fields/custom/{region.pk}",
                           field_form(label="Region", choices=""))
    assert response.status_code == 422
    assert "choice" in " ".join(response.context["form"].errors["choices"])
    assert CustomFieldDefinition.objects.get(pk=region.pk).label == "Sales region"


def test_custom_fields_move_retire_and_come_back(tenant, admin, order_ref, region):
    client = login(admin)

    def order() -> list[str]:
        return list(CustomFieldDefinition.objects.filter(tenant=tenant, is_active=True)
                    .order_by("position").values_list("key", flat=True))

    assert order() == ["order_ref", "region"]
    response = client.post(f"/settings/fields/custom/{region.pk}/move", {"direction": "up"},
                           **HX)
    assert response.status_code == 200 and order() == ["region", "order_ref"]
    response = client.post(f"/settings/fields/custom/{region.pk}/retire", **HX)
    assert response.status_code == 200 and order() == ["order_ref"]
    assert 'data-testid="retired-field-row"' in response.content.decode()
    assert client.post(f"/settings/fields/custom/{region.pk}/move",
                       {"direction": "up"}, **HX).status_code == 422
    client.post(f"/settings/fields/custom/{region.pk}/restore")
    assert order() == ["order_ref", "region"]


def test_a_retired_custom_field_keeps_its_values_on_cases(tenant, admin, agent, region,
                                                         order_ref):
    case = make_case(tenant, custom_fields={"region": "EMEA", "order_ref": "A-1"})
    login(admin).post(f"/settings/fields/custom/{region.pk}/retire")
    client = login(agent)
    page = client.get(f"/cases/{case.display_number}").content.decode()
    assert 'id="field-cf-region"' not in page
    client.post(f"/cases/{case.display_number}/fields/cf.order_ref", {"value": "A-2"})
    case.refresh_from_db()
    assert case.custom_fields == {"region": "EMEA", "order_ref": "A-2"}


# --- the console honours where a field shows -------------------------------------------------


def _new_case(client: Client, **extra: str):
    data = {"subject": "Caller cannot log in", "description": "", "source": "phone",
            "priority": "normal", "type": "", "category": "", "subcategory": "", "queue": "",
            "owner": "me", "account": "", "contact": "", "tags": "",
            "idempotency_key": str(uuid.uuid4()), **extra}
    return client.post("/cases/new", data)


def test_the_new_case_page_shows_only_its_fields_with_their_help(tenant, agent):
    custom_field_create(tenant=tenant, key="order_ref", label="Order reference", kind="text",
                        help_text="From the confirmation mail.")
    custom_field_create(tenant=tenant, key="root_cause", label="Root cause", kind="text",
                        required=True, show_on_new_case=False)
    client = login(agent)
    body = client.get("/cases/new").content.decode()
    assert 'name="cf_order_ref"' in body and "From the confirmation mail." in body
    assert "cf_root_cause" not in body and "Root cause" not in body
    # A required field the page does not ask for does not stop it making cases.
    response = _new_case(client, cf_order_ref="A-1")
    assert response.status_code == 302
    case = Case.objects.get(tenant=tenant)
    assert case.custom_fields == {"order_ref": "A-1"}


def test_the_case_page_shows_only_its_fields_with_their_help(tenant, agent):
    custom_field_create(tenant=tenant, key="seats", label="Seats", kind="number",
                        help_text="Licensed seats, not users.")
    custom_field_create(tenant=tenant, key="intake_code", label="Intake code", kind="text",
                        show_on_case_page=False)
    case = make_case(tenant, custom_fields={"intake_code": "X9", "seats": 3})
    client = login(agent)
    page = client.get(f"/cases/{case.display_number}").content.decode()
    assert 'id="field-cf-seats"' in page and 'id="field-cf-intake_code"' not in page
    editor = client.get(f"/cases/{case.display_number}/fields/cf.seats", **HX
                        ).content.decode()
    assert "Licensed seats, not users." in editor
    assert client.get(f"/cases/{case.display_number}/fields/cf.intake_code", **HX
                      ).status_code == 404
    client.post(f"/cases/{case.display_number}/fields/cf.seats", {"value": "5"})
    case.refresh_from_db()
    assert case.custom_fields == {"intake_code": "X9", "seats": 5}

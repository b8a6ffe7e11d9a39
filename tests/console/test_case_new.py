"""The agents' new-case form: every field, the service's refusals on the matching field,
one case per one-time key, preselection from account and contact pages, tenant isolation."""

import uuid

import pytest
from django.test import Client

from casedesk.cases.models import Case, Source
from casedesk.cases.picklists import custom_field_create
from casedesk.routing.models import Queue
from tests.conftest import login
from tests.factories import AccountFactory, ContactFactory


@pytest.fixture
def fields(tenant):
    custom_field_create(tenant=tenant, key="order_ref", label="Order reference", kind="text",
                        required=True, position=0)
    custom_field_create(tenant=tenant, key="seats", label="Seats", kind="number", position=1)
    custom_field_create(tenant=tenant, key="renewal", label="Renewal date", kind="date",
                        position=2)
    custom_field_create(tenant=tenant, key="plan", label="Plan", kind="picklist",
                        choices=["Starter", "Pro", "Enterprise"], position=3)
    custom_field_create(tenant=tenant, key="vip", label="VIP caller", kind="checkbox",
                        position=4)


@pytest.fixture
def account(tenant):
    return AccountFactory(tenant=tenant, name="Initech")


@pytest.fixture
def contact(tenant, account):
    return ContactFactory(tenant=tenant, account=account, name="Peter Gibbons",
                          email="peter@initech.example")


def form_data(**overrides):
    data = {"subject": "Customer cannot log in", "description": "Called at 9:05.",
            "source": "phone", "priority": "normal", "type": "", "category": "",
            "subcategory": "", "queue": "", "owner": "me", "account": "", "contact": "",
            "tags": "", "idempotency_key": str(uuid.uuid4()), "cf_order_ref": "ORD-1"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_form_renders_with_defaults_for_every_role(request, tenant, fields, role):
    response = login(request.getfixturevalue(role)).get("/cases/new")
    assert response.status_code == 200
    form = response.context["form"]
    body = response.content.decode()
    assert form["source"].value() == "phone" and form["owner"].value() == "me"
    assert '<option value="phone" selected>Phone</option>' in body
    assert '<optgroup label="Billing">' in body and '<option value="Invoice">' in body
    assert "Order reference" in body and 'name="cf_order_ref"' in body
    assert 'name="idempotency_key"' in body
    assert 'data-picker="account"' in body and 'data-picker="contact"' in body


def test_creates_a_case_with_every_field(tenant, agent, agent2, account, contact, fields):
    queue = Queue.objects.get(tenant=tenant, name="Support")
    response = login(agent).post("/cases/new", form_data(
        subject="Invoice shows the wrong VAT", description="Walk-in at the front desk.",
        source="chat", priority="urgent", type="Billing", category="Billing",
        subcategory="Invoice", queue=str(queue.pk), owner=str(agent2.user_id),
        account=str(account.pk), contact=str(contact.pk), tags="vat, invoice , ,vat",
        cf_order_ref="ORD-42", cf_seats="25", cf_renewal="2027-01-31", cf_plan="Pro",
        cf_vip="on"))
    case = Case.objects.get(tenant=tenant)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.display_number}"
    assert (case.subject, case.description, case.source, case.priority_name) == (
        "Invoice shows the wrong VAT", "Walk-in at the front desk.", "chat", "urgent")
    assert (case.type, case.category, case.subcategory) == ("Billing", "Billing", "Invoice")
    assert (case.queue_id, case.owner_id, case.created_by_id) == (
        queue.pk, agent2.user_id, agent.user_id)
    assert (case.account_id, case.contact_id) == (account.pk, contact.pk)
    assert case.tags == ["vat", "invoice"]
    assert case.custom_fields == {"order_ref": "ORD-42", "seats": 25, "renewal": "2027-01-31",
                                  "plan": "Pro", "vip": True}


def test_defaults_make_a_phone_case_owned_by_me(tenant, agent):
    login(agent).post("/cases/new", {"subject": "Quick call", "source": "phone",
                                     "priority": "normal", "owner": "me",
                                     "idempotency_key": str(uuid.uuid4())})
    case = Case.objects.get(tenant=tenant)
    assert (case.source, case.owner_id, case.priority_name) == (Source.PHONE, agent.user_id,
                                                                "normal")


def test_unassigned_and_a_contact_brings_its_account(tenant, agent, account, contact):
    login(agent).post("/cases/new", form_data(owner="", contact=str(contact.pk)))
    case = Case.objects.get(tenant=tenant)
    assert case.owner_id is None
    assert (case.contact_id, case.account_id) == (contact.pk, account.pk)


def _errors(response):
    assert response.status_code == 200
    return response.context["form"].errors


def test_subcategory_of_another_category_is_an_error_on_that_field(tenant, agent):
    response = login(agent).post("/cases/new", form_data(category="Billing",
                                                         subcategory="Login"))
    assert "'Login' is not a subcategory of category 'Billing'" in (
        _errors(response)["subcategory"][0])
    assert not Case.objects.exists()
    body = response.content.decode()
    assert 'value="Customer cannot log in"' in body  # what was typed is kept


def test_missing_required_custom_field_is_an_error_on_that_field(tenant, agent, fields):
    response = login(agent).post("/cases/new", form_data(cf_order_ref=""))
    assert "this field is required" in _errors(response)["cf_order_ref"][0]
    assert not Case.objects.exists()


def test_bad_custom_values_are_errors_on_their_fields(tenant, agent, fields):
    client = login(agent)
    assert "number" in _errors(client.post("/cases/new", form_data(cf_seats="many")))[
        "cf_seats"][0]
    assert "valid choice" in _errors(client.post("/cases/new", form_data(cf_plan="Gold")))[
        "cf_plan"][0]
    assert "valid date" in _errors(client.post("/cases/new", form_data(
        cf_renewal="2027-02-30")))["cf_renewal"][0]
    assert not Case.objects.exists()


def test_contact_of_another_account_is_an_error_on_the_contact(tenant, agent, contact):
    other = AccountFactory(tenant=tenant, name="Penetrode")
    response = login(agent).post("/cases/new", form_data(account=str(other.pk),
                                                         contact=str(contact.pk)))
    assert "belongs to account" in _errors(response)["contact"][0]
    assert not Case.objects.exists()


def test_another_tenants_account_or_contact_is_refused(tenant, other_tenant, agent):
    foreign = AccountFactory(tenant=other_tenant)
    foreign_contact = ContactFactory(tenant=other_tenant, account=foreign)
    client = login(agent)
    errors = _errors(client.post("/cases/new", form_data(account=str(foreign.pk))))
    assert errors["account"] == [f"No account with id {foreign.pk}."]
    errors = _errors(client.post("/cases/new", form_data(contact=str(foreign_contact.pk))))
    assert errors["contact"] == [f"No contact with id {foreign_contact.pk}."]
    errors = _errors(client.post("/cases/new", form_data(account="abc")))
    assert errors["account"] == ["Choose from the list."]
    assert not Case.objects.exists()


def test_double_submit_with_the_same_key_makes_one_case(tenant, agent):
    client = login(agent)
    data = form_data()
    first = client.post("/cases/new", data)
    second = client.post("/cases/new", data)
    assert Case.objects.filter(tenant=tenant).count() == 1
    case = Case.objects.get(tenant=tenant)
    assert first["Location"] == second["Location"] == f"/cases/{case.display_number}"


def test_reusing_a_key_for_different_details_asks_first(tenant, agent):
    client = login(agent)
    data = form_data()
    client.post("/cases/new", data)
    changed = client.post("/cases/new", {**data, "subject": "Something else"})
    errors = _errors(changed)
    assert "submitted already" in errors["__all__"][0]
    assert Case.objects.count() == 1
    new_key = changed.context["form"]["idempotency_key"].value()
    assert new_key != data["idempotency_key"]
    again = client.post("/cases/new", {**data, "subject": "Something else",
                                       "idempotency_key": new_key})
    assert again.status_code == 302 and Case.objects.count() == 2


def test_missing_key_is_a_form_error(tenant, agent):
    response = login(agent).post("/cases/new", form_data(idempotency_key=""))
    assert "one-time key" in _errors(response)["idempotency_key"][0]
    assert "one-time key" in response.content.decode()
    assert not Case.objects.exists()


def test_preselects_account_and_contact_from_the_query(tenant, other_tenant, agent, account,
                                                      contact):
    client = login(agent)
    form = client.get(f"/cases/new?contact={contact.pk}").context
    assert form["pickers"]["contact"].value == contact.pk
    assert form["pickers"]["account"].value == account.pk
    assert form["pickers"]["contact"].text == "Peter Gibbons"
    body = client.get(f"/cases/new?account={account.pk}").content.decode()
    assert f'<option value="{account.pk}" selected>Initech</option>' in body
    foreign = AccountFactory(tenant=other_tenant, name="Hidden")
    context = client.get(f"/cases/new?account={foreign.pk}&contact=x").context
    assert context["pickers"]["account"].value is None
    assert "Hidden" not in context["pickers"]["account"].text


def test_picker_endpoint_returns_only_this_tenants_matches(tenant, other_tenant, agent,
                                                          contact):
    ContactFactory(tenant=other_tenant, name="Peter Other", email="peter@other.example")
    AccountFactory(tenant=other_tenant, name="Initech Other")
    client = login(agent)
    body = client.get("/pickers/contacts", {"contact_q": "peter"}).content.decode()
    assert "Peter Gibbons" in body and "Other" not in body
    body = client.get("/pickers/accounts", {"account_q": "initech"}).content.decode()
    assert "Initech" in body and "Other" not in body


def test_form_needs_login(db):
    response = Client().post("/cases/new", form_data())
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Case.objects.exists()

"""Accounts, contacts and deals hold what their columns hold: the API refuses more (422 naming
the field), and so do the services whatever calls them (a page, a command)."""

from decimal import Decimal

import pytest

from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.crm.models import Account, Contact, Deal
from casedesk.crm.services import account_create, contact_create, deal_create, deal_update
from tests.api_checks import error, spec
from tests.conftest import login
from tests.factories import AccountFactory, ContactFactory, DealFactory

ACCOUNT_TEXT = ["name", "domain", "tier", "segment", "territory"]


@pytest.mark.parametrize("field", ACCOUNT_TEXT)
def test_account_text_is_refused_past_its_column(agent_api, field) -> None:
    longest = max_length(Account, field)
    payload = {"name": "Initech", field: "a" * (longest + 1)}
    error(agent_api.post("/accounts", payload), 422, field=field)
    assert not Account.objects.exists()
    assert agent_api.post("/accounts", {**payload, field: "a" * longest}).status_code == 201


@pytest.mark.parametrize("field", ["name", "phone"])
def test_contact_text_is_refused_past_its_column(agent_api, tenant, field) -> None:
    contact = ContactFactory(tenant=tenant)
    too_long = "5" * (max_length(Contact, field) + 1)
    error(agent_api.patch(f"/contacts/{contact.pk}", {field: too_long}), 422, field=field)
    error(agent_api.post("/contacts", {"email": "new@customer.test", field: too_long}), 422,
          field=field)


@pytest.mark.parametrize("amount", [10**12, "1000000000000", "12.345", -1])
def test_a_deal_amount_past_its_column_is_refused(agent_api, tenant, amount) -> None:
    account = AccountFactory(tenant=tenant)
    error(agent_api.post("/deals", {"name": "Renewal", "account_id": account.pk,
                                    "amount": amount}), 422, field="amount")
    assert not Deal.objects.exists()


def test_the_largest_amount_its_column_holds_is_kept(agent_api, tenant) -> None:
    account = AccountFactory(tenant=tenant)
    response = agent_api.post("/deals", {"name": "Renewal", "account_id": account.pk,
                                         "amount": "999999999999.99"})
    assert response.status_code == 201
    assert Deal.objects.get().amount == Decimal("999999999999.99")


def test_the_amount_bounds_are_documented() -> None:
    amount = spec()["components"]["schemas"]["DealIn"]["properties"]["amount"]["anyOf"]
    number = next(b for b in amount if b["type"] == "number")
    text = next(b for b in amount if b["type"] == "string")
    assert (number["minimum"], number["maximum"]) == (0, 999999999999.99)
    assert text["pattern"] == r"^\d{1,12}(\.\d{1,2})?$"


def test_the_services_refuse_what_a_column_cannot_hold(tenant) -> None:
    with pytest.raises(Invalid) as refused:
        account_create(tenant=tenant, name="x" * (max_length(Account, "name") + 1))
    assert refused.value.field == "name"
    with pytest.raises(Invalid) as refused:
        contact_create(tenant=tenant, email="jo@customer.test", phone="5" * 51)
    assert refused.value.field == "phone"
    account = AccountFactory(tenant=tenant)
    with pytest.raises(Invalid) as refused:
        deal_create(tenant=tenant, name="Renewal", account_id=account.pk,
                    amount=Decimal("1E12"))
    assert refused.value.field == "amount"
    deal = DealFactory(tenant=tenant, account=account, name="Renewal")
    with pytest.raises(Invalid) as refused:
        deal_update(deal=deal, changes={"name": "y" * 201})
    assert refused.value.field == "name"
    assert not Contact.objects.exists()
    deal.refresh_from_db()
    assert deal.name == "Renewal"


def test_a_page_form_too_long_for_the_column_is_refused_on_the_field(tenant, admin) -> None:
    account = AccountFactory(tenant=tenant, name="Initech")
    page = login(admin).post(f"/accounts/{account.pk}/edit", {"name": "n" * 201})
    assert page.status_code == 200
    assert "200 characters" in page.content.decode()
    account.refresh_from_db()
    assert account.name == "Initech"

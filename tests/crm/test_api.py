"""Accounts, contacts and deals through the API, and the cases hanging off them."""

import pytest

from casedesk.cases.services import case_transition
from casedesk.crm.models import Account, Contact, Deal
from tests.api_checks import conforms, error, numbers, walk_pages
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case

# --- accounts --------------------------------------------------------------------------------


def test_an_account_is_created_read_and_changed(agent_api) -> None:
    response = agent_api.post("/accounts", {"name": " Initech ", "domain": "Initech.TEST",
                                            "tier": "Gold", "segment": "SMB",
                                            "territory": "EMEA"})
    assert response.status_code == 201
    body = conforms(response, "POST", "/accounts")
    assert (body["name"], body["domain"], body["tier"], body["segment"], body["territory"]) == (
        "Initech", "initech.test", "Gold", "SMB", "EMEA")
    path = f"/accounts/{body['id']}"
    assert conforms(agent_api.get(path), "GET", "/accounts/{account_id}") == body
    patched = agent_api.patch(path, {"tier": "Platinum", "domain": "INITECH.example"})
    changed = conforms(patched, "PATCH", "/accounts/{account_id}")
    assert (changed["tier"], changed["domain"], changed["name"]) == (
        "Platinum", "initech.example", "Initech")
    assert Account.objects.get(pk=body["id"]).tier == "Platinum"


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "  "}, "name"), ({"name": "a\x00"}, "name"),
    ({"name": "x" * 256}, "name"), ({"name": "x" * 201}, "name"),
    ({"name": "ok", "domain": "d" * 254}, "domain"),
    ({"name": "ok", "tier": 5}, "tier"),
])
def test_a_bad_account_is_refused(agent_api, payload, field) -> None:
    error(agent_api.post("/accounts", payload), 422, field=field)
    assert not Account.objects.exists()


@pytest.mark.parametrize("path", ["/accounts", "/deals"])
def test_a_name_longer_than_its_column_is_refused_on_change(agent_api, tenant, path) -> None:
    account = AccountFactory(tenant=tenant, name="Initech")
    deal = Deal.objects.create(tenant=tenant, account=account, name="Renewal")
    record = f"{path}/{account.pk if path == '/accounts' else deal.pk}"
    error(agent_api.patch(record, {"name": "x" * 201}), 422, field="name")
    assert agent_api.patch(record, {"name": "y" * 200}).status_code == 200


@pytest.mark.parametrize("field", ["name", "domain", "tier", "segment", "territory"])
def test_account_fields_cannot_be_nulled(agent_api, tenant, field) -> None:
    account = AccountFactory(tenant=tenant)
    error(agent_api.patch(f"/accounts/{account.pk}", {field: None}), 422, field=field)


def test_accounts_list_pages_and_searches(agent_api, tenant) -> None:
    for i in range(12):
        AccountFactory(tenant=tenant, name=f"Firm {i:02d}")
    AccountFactory(tenant=tenant, name="Umbrella")
    pages = walk_pages(agent_api, "/accounts", limit=5)
    ids = [a["id"] for page in pages for a in page]
    assert ids == sorted(a.pk for a in Account.objects.filter(tenant=tenant))
    assert len(ids) == len(set(ids)) == 13
    first = agent_api.get("/accounts", limit=5)
    assert conforms(first, "GET", "/accounts")["next_cursor"]
    found = agent_api.get("/accounts", q="umbr").json()["items"]
    assert [a["name"] for a in found] == ["Umbrella"]


def test_an_accounts_open_cases_are_one_call_away(agent_api, admin, tenant) -> None:
    account = AccountFactory(tenant=tenant)
    open_case = make_case(tenant, account_id=account.pk)
    done = make_case(tenant, account_id=account.pk)
    for to in ("open", "in_progress", "resolved"):
        done = case_transition(case=done, actor=admin.user, to=to, note="n", now=NOW)
    make_case(tenant)
    response = agent_api.get(f"/accounts/{account.pk}/cases")
    body = conforms(response, "GET", "/accounts/{account_id}/cases")
    assert numbers(body["items"]) == [f"CS-{open_case.number}"]
    every = agent_api.get(f"/accounts/{account.pk}/cases", open="false").json()
    assert numbers(every["items"]) == [f"CS-{done.number}", f"CS-{open_case.number}"]


# --- contacts --------------------------------------------------------------------------------


def test_a_contact_is_created_read_and_changed(agent_api, tenant) -> None:
    account = AccountFactory(tenant=tenant)
    response = agent_api.post("/contacts", {"email": " Peter@Initech.TEST ", "name": "Peter",
                                            "phone": "+1 555", "account_id": account.pk})
    assert response.status_code == 201
    body = conforms(response, "POST", "/contacts")
    assert (body["email"], body["name"], body["account_id"]) == (
        "peter@initech.test", "Peter", account.pk)
    path = f"/contacts/{body['id']}"
    assert conforms(agent_api.get(path), "GET", "/contacts/{contact_id}") == body
    patched = conforms(agent_api.patch(path, {"name": "Peter Gibbons", "account_id": None}),
                       "PATCH", "/contacts/{contact_id}")
    assert (patched["name"], patched["account_id"]) == ("Peter Gibbons", None)


def test_a_duplicate_contact_email_is_refused(agent_api, tenant) -> None:
    ContactFactory(tenant=tenant, email="peter@initech.test")
    error(agent_api.post("/contacts", {"email": "PETER@initech.test"}), 409,
          mentions=("peter@initech.test",))
    other = ContactFactory(tenant=tenant, email="milton@initech.test")
    error(agent_api.patch(f"/contacts/{other.pk}", {"email": "peter@initech.test"}), 409)
    assert Contact.objects.get(pk=other.pk).email == "milton@initech.test"


def test_the_same_email_may_be_a_contact_in_another_tenant(agent_api, outsider_api) -> None:
    assert agent_api.post("/contacts", {"email": "shared@example.com"}).status_code == 201
    assert outsider_api.post("/contacts", {"email": "shared@example.com"}).status_code == 201


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "email"), ({"email": "not-an-email"}, "email"), ({"email": "a\x00@b.test"}, "email"),
    ({"email": "a@b.test", "account_id": 999999}, "account_id"),
    ({"email": "a@b.test", "account_id": 0}, "account_id"),
    ({"email": "a@b.test", "name": "n" * 201}, "name"),
])
def test_a_bad_contact_is_refused(agent_api, payload, field) -> None:
    error(agent_api.post("/contacts", payload), 422, field=field)
    assert not Contact.objects.exists()


def test_contacts_filter_by_account_email_and_words(agent_api, tenant) -> None:
    account = AccountFactory(tenant=tenant)
    peter = ContactFactory(tenant=tenant, account=account, name="Peter",
                           email="peter@initech.test")
    ContactFactory(tenant=tenant, name="Milton", email="milton@initech.test")
    ContactFactory(tenant=tenant, name="Bill", email="bill@other.test")
    listed = agent_api.get("/contacts", account=account.pk)
    assert [c["id"] for c in conforms(listed, "GET", "/contacts")["items"]] == [peter.pk]
    assert [c["name"] for c in agent_api.get(
        "/contacts", email="PETER@initech.test").json()["items"]] == ["Peter"]
    assert {c["name"] for c in agent_api.get("/contacts", q="initech").json()["items"]} == {
        "Peter", "Milton"}
    pages = walk_pages(agent_api, "/contacts", limit=2)
    assert [len(p) for p in pages] == [2, 1]


def test_a_contacts_cases_are_listed_newest_first(agent_api, tenant) -> None:
    contact = ContactFactory(tenant=tenant)
    first = make_case(tenant, contact_id=contact.pk)
    second = make_case(tenant, contact_id=contact.pk)
    make_case(tenant)
    response = agent_api.get(f"/contacts/{contact.pk}/cases")
    body = conforms(response, "GET", "/contacts/{contact_id}/cases")
    assert numbers(body["items"]) == [f"CS-{second.number}", f"CS-{first.number}"]


# --- deals -----------------------------------------------------------------------------------


def test_a_deal_is_created_read_and_changed(agent_api, tenant) -> None:
    account = AccountFactory(tenant=tenant)
    response = agent_api.post("/deals", {"name": "Renewal", "account_id": account.pk,
                                         "amount": "1200.50", "close_date": "2027-03-01"})
    assert response.status_code == 201
    body = conforms(response, "POST", "/deals")
    assert (body["name"], body["account_id"], body["stage"], body["close_date"]) == (
        "Renewal", account.pk, "prospecting", "2027-03-01")
    assert float(body["amount"]) == 1200.5
    path = f"/deals/{body['id']}"
    assert conforms(agent_api.get(path), "GET", "/deals/{deal_id}")["id"] == body["id"]
    patched = conforms(agent_api.patch(path, {"stage": "won"}), "PATCH", "/deals/{deal_id}")
    assert patched["stage"] == "won"
    assert Deal.objects.get(pk=body["id"]).stage == "won"


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "x"}, "account_id"), ({"account_id": "ACCOUNT"}, "name"),
    ({"name": "x", "account_id": 999999}, "account_id"),
    ({"name": "x", "account_id": "ACCOUNT", "stage": "dreaming"}, "stage"),
    ({"name": "x", "account_id": "ACCOUNT", "amount": "-1"}, "amount"),
    ({"name": "x", "account_id": "ACCOUNT", "amount": "1.234"}, "amount"),
    ({"name": "x", "account_id": "ACCOUNT", "close_date": "soon"}, "close_date"),
    # The column holds 200 characters: PostgreSQL refused 201 with a 500 before.
    ({"name": "x" * 201, "account_id": "ACCOUNT"}, "name"),
])
def test_a_bad_deal_is_refused(agent_api, tenant, payload, field) -> None:
    account = AccountFactory(tenant=tenant)
    payload = {k: (account.pk if v == "ACCOUNT" else v) for k, v in payload.items()}
    error(agent_api.post("/deals", payload), 422, field=field)
    assert not Deal.objects.exists()


@pytest.mark.parametrize("field", ["name", "account_id", "stage"])
def test_required_deal_fields_cannot_be_nulled(agent_api, tenant, field) -> None:
    deal = DealFactory(tenant=tenant, account=AccountFactory(tenant=tenant))
    error(agent_api.patch(f"/deals/{deal.pk}", {field: None}), 422, field=field)


def test_deals_filter_by_account_and_page(agent_api, tenant) -> None:
    account, other = AccountFactory(tenant=tenant), AccountFactory(tenant=tenant)
    mine = [DealFactory(tenant=tenant, account=account) for _ in range(3)]
    DealFactory(tenant=tenant, account=other)
    listed = agent_api.get("/deals", account=account.pk)
    assert [d["id"] for d in conforms(listed, "GET", "/deals")["items"]] == [d.pk for d in mine]
    assert sum(len(p) for p in walk_pages(agent_api, "/deals", limit=1)) == 4


@pytest.mark.parametrize("path", ["/accounts", "/contacts", "/deals"])
@pytest.mark.parametrize(("params", "field"), [
    ({"cursor": "junk"}, "cursor"), ({"cursor": "WyJ4Il0"}, "cursor"),
    ({"cursor": "WzEsMl0"}, "cursor"), ({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
])
def test_crm_lists_refuse_bad_paging(agent_api, path, params, field) -> None:
    error(agent_api.get(path, **params), 422, field=field)

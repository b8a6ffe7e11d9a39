"""Accounts and contacts pages: lists with search and counts, detail pages with their
cases, edit and create forms, the record pickers, and isolation between tenants."""

from datetime import timedelta

import pytest
from django.test import Client

from casedesk.cases.services import case_transition
from casedesk.crm.models import Account, Contact
from tests.conftest import NOW, login
from tests.factories import AccountFactory, ContactFactory, DealFactory, make_case


def close(case, actor=None):
    """Takes a case the whole way to closed through the lifecycle."""
    for step, extra in (("open", {}), ("in_progress", {}), ("resolved", {"note": "Fixed."}),
                        ("closed", {"note": "Done.", "closed_reason": "Resolved"})):
        case = case_transition(case=case, actor=actor, to=step, now=NOW + timedelta(hours=1),
                               **extra)
    return case


@pytest.fixture
def acme_corp(tenant):
    account = AccountFactory(tenant=tenant, name="Initech", domain="initech.example",
                             tier="Enterprise", segment="Mid-market", territory="EMEA")
    peter = ContactFactory(tenant=tenant, account=account, name="Peter Gibbons",
                           email="peter@initech.example", phone="+1 555 0100")
    ContactFactory(tenant=tenant, account=account, name="Bill Lumbergh",
                   email="bill@initech.example")
    DealFactory(tenant=tenant, account=account, name="TPS rollout", amount=125000)
    make_case(tenant, subject="Stapler missing", account_id=account.pk, contact_id=peter.pk)
    make_case(tenant, subject="Printer jams", account_id=account.pk)
    close(make_case(tenant, subject="Old closed issue", account_id=account.pk,
                    contact_id=peter.pk))
    return account


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_account_list_shows_open_case_counts_for_every_role(request, tenant, acme_corp, role):
    AccountFactory(tenant=tenant, name="Quiet Co")
    response = login(request.getfixturevalue(role)).get("/accounts")
    assert response.status_code == 200
    rows = {row.record.name: row for row in response.context["page"].rows}
    assert rows["Initech"].open_cases == 2 and rows["Initech"].contacts == 2
    assert rows["Quiet Co"].open_cases == 0
    body = response.content.decode()
    assert f'href="/cases?account={acme_corp.pk}&amp;open=on">2</a>' in body
    assert f'href="/accounts/{acme_corp.pk}"' in body


def test_account_search_matches_name_and_domain(tenant, agent, acme_corp):
    AccountFactory(tenant=tenant, name="Globodyne", domain="globodyne.example")
    client = login(agent)
    names = [r.record.name for r in client.get("/accounts", {"q": "init"}).context["page"].rows]
    assert names == ["Initech"]
    names = [r.record.name for r in
             client.get("/accounts", {"q": "GLOBODYNE.example"}).context["page"].rows]
    assert names == ["Globodyne"]
    fragment = client.get("/accounts", {"q": "nothing-like-it"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="account-results")
    body = fragment.content.decode()
    assert "No account matches" in body and "<html" not in body


def test_account_list_pages_by_name(tenant, agent):
    for n in range(55):
        AccountFactory(tenant=tenant, name=f"Company {n:02d}")
    client = login(agent)
    first = client.get("/accounts")
    names = [r.record.name for r in first.context["page"].rows]
    assert names[0] == "Company 00" and len(names) == 50
    second = client.get("/accounts", {"cursor": first.context["page"].next_cursor})
    assert [r.record.name for r in second.context["page"].rows] == [
        f"Company {n}" for n in range(50, 55)]
    broken = client.get("/accounts", {"cursor": "garbage"}, follow=True)
    assert broken.status_code == 200 and "cursor is not valid" in broken.content.decode()


def test_contact_list_searches_name_and_email_and_filters_by_account(tenant, agent, acme_corp):
    ContactFactory(tenant=tenant, name="Milton Waddams", email="milton@basement.example")
    client = login(agent)
    page = client.get("/contacts", {"q": "gibbons"}).context["page"]
    assert [r.record.email for r in page.rows] == ["peter@initech.example"]
    assert page.rows[0].open_cases == 1
    page = client.get("/contacts", {"q": "BASEMENT"}).context["page"]
    assert [r.record.name for r in page.rows] == ["Milton Waddams"]
    page = client.get("/contacts", {"account": acme_corp.pk}).context["page"]
    assert {r.record.name for r in page.rows} == {"Peter Gibbons", "Bill Lumbergh"}


def test_account_detail_shows_fields_contacts_deals_and_cases(tenant, agent, acme_corp):
    response = login(agent).get(f"/accounts/{acme_corp.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Initech", "initech.example", "Enterprise", "Mid-market", "EMEA",
                 "Peter Gibbons", "Bill Lumbergh", "TPS rollout", "125,000"):
        assert text in body
    sections = response.context["sections"]
    assert [c.subject for c in sections["open"]["page"].items] == ["Printer jams",
                                                                   "Stapler missing"]
    assert [c.subject for c in sections["closed"]["page"].items] == ["Old closed issue"]
    summary = response.context["summary"]
    assert (summary.open_cases, summary.cases, summary.contacts, summary.deals) == (2, 3, 2, 1)
    assert f'/cases?account={acme_corp.pk}&amp;open=on' in body
    assert f'/cases/new?account={acme_corp.pk}' in body
    case = sections["open"]["page"].items[0]
    assert f'href="/cases/{case.display_number}"' in body


def test_account_detail_pages_its_cases(tenant, agent):
    account = AccountFactory(tenant=tenant)
    for n in range(13):
        make_case(tenant, subject=f"Issue {n:02d}", account_id=account.pk)
    client = login(agent)
    first = client.get(f"/accounts/{account.pk}")
    section = first.context["sections"]["open"]
    assert len(section["page"].items) == 10 and section["next"]
    second = client.get(f"/accounts/{account.pk}{section['next']}")
    assert [c.subject for c in second.context["sections"]["open"]["page"].items] == [
        "Issue 02", "Issue 01", "Issue 00"]
    assert second.context["sections"]["open"]["first"] == "?"


def test_contact_detail_shows_its_cases_and_new_case_link(tenant, agent, acme_corp):
    peter = Contact.objects.get(email="peter@initech.example")
    response = login(agent).get(f"/contacts/{peter.pk}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Peter Gibbons" in body and "+1 555 0100" in body and "Initech" in body
    assert [c.subject for c in response.context["sections"]["open"]["page"].items] == [
        "Stapler missing"]
    assert [c.subject for c in response.context["sections"]["closed"]["page"].items] == [
        "Old closed issue"]
    assert response.context["open_cases"] == 1
    assert f"/cases/new?contact={peter.pk}&amp;account={acme_corp.pk}" in body


def test_other_tenants_records_are_404(tenant, other_tenant, agent):
    account = AccountFactory(tenant=other_tenant, name="Hidden Corp")
    contact = ContactFactory(tenant=other_tenant, account=account, email="hid@hidden.example")
    client = login(agent)
    for url in (f"/accounts/{account.pk}", f"/accounts/{account.pk}/edit",
                f"/contacts/{contact.pk}", f"/contacts/{contact.pk}/edit",
                "/accounts/0", "/accounts/99999999999999999999"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/accounts/{account.pk}/edit", {"name": "Mine now"}).status_code == 404
    assert client.post(f"/contacts/{contact.pk}/edit",
                       {"email": "x@y.example"}).status_code == 404
    account.refresh_from_db()
    contact.refresh_from_db()
    assert account.name == "Hidden Corp" and contact.email == "hid@hidden.example"
    assert "Hidden Corp" not in client.get("/accounts").content.decode()
    assert "hid@hidden.example" not in client.get("/contacts").content.decode()


def test_pages_need_login(db):
    for url in ("/accounts", "/contacts", "/accounts/1", "/pickers/accounts"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_account_edit_saves_and_refuses_a_blank_name(tenant, agent, acme_corp):
    client = login(agent)
    form = client.get(f"/accounts/{acme_corp.pk}/edit")
    assert form.status_code == 200 and 'value="Initech"' in form.content.decode()
    bad = client.post(f"/accounts/{acme_corp.pk}/edit", {"name": "  ", "domain": "x.example"})
    assert bad.status_code == 200 and "This field is required." in bad.content.decode()
    acme_corp.refresh_from_db()
    assert acme_corp.domain == "initech.example"
    bad = client.post(f"/accounts/{acme_corp.pk}/edit", {"name": "Initech", "domain": "a b"})
    assert "Enter a domain such as example.com." in bad.content.decode()
    done = client.post(f"/accounts/{acme_corp.pk}/edit", {
        "name": "Initech Corp", "domain": "https://www.Initech.example/", "tier": "SMB",
        "segment": "SMB", "territory": "AMER"})
    assert done.status_code == 302 and done["Location"] == f"/accounts/{acme_corp.pk}"
    acme_corp.refresh_from_db()
    assert (acme_corp.name, acme_corp.domain, acme_corp.tier, acme_corp.territory) == (
        "Initech Corp", "initech.example", "SMB", "AMER")


def test_account_create(tenant, agent):
    client = login(agent)
    assert client.get("/accounts/new").status_code == 200
    response = client.post("/accounts/new", {"name": "Umbrella", "domain": "umbrella.example",
                                             "tier": "Enterprise"})
    account = Account.objects.get(tenant=tenant, name="Umbrella")
    assert response["Location"] == f"/accounts/{account.pk}"
    assert client.post("/accounts/new", {"name": ""}).status_code == 200
    assert Account.objects.filter(tenant=tenant).count() == 1


def test_contact_edit_duplicate_email_is_a_form_error(tenant, agent, acme_corp):
    peter = Contact.objects.get(email="peter@initech.example")
    client = login(agent)
    response = client.post(f"/contacts/{peter.pk}/edit", {
        "name": "Peter G", "email": "BILL@initech.example", "phone": "",
        "account": acme_corp.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "A contact with the email bill@initech.example exists already."]
    peter.refresh_from_db()
    assert (peter.name, peter.email) == ("Peter Gibbons", "peter@initech.example")


def test_contact_edit_saves_and_moves_account(tenant, agent, acme_corp):
    peter = Contact.objects.get(email="peter@initech.example")
    other = AccountFactory(tenant=tenant, name="Penetrode")
    client = login(agent)
    form = client.get(f"/contacts/{peter.pk}/edit").content.decode()
    assert f'<option value="{acme_corp.pk}" selected>Initech</option>' in form
    response = client.post(f"/contacts/{peter.pk}/edit", {
        "name": "Peter Gibbons", "email": "peter@penetrode.example", "phone": "",
        "account": other.pk})
    assert response["Location"] == f"/contacts/{peter.pk}"
    peter.refresh_from_db()
    assert (peter.email, peter.account_id) == ("peter@penetrode.example", other.pk)
    client.post(f"/contacts/{peter.pk}/edit", {"email": "peter@penetrode.example",
                                               "account": ""})
    peter.refresh_from_db()
    assert peter.account_id is None


def test_contact_with_another_tenants_account_is_a_form_error(tenant, other_tenant, agent,
                                                              acme_corp):
    foreign = AccountFactory(tenant=other_tenant)
    client = login(agent)
    response = client.post("/contacts/new", {"email": "new@x.example", "account": foreign.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["account"] == [f"No account with id {foreign.pk}."]
    assert not Contact.objects.filter(email="new@x.example").exists()
    response = client.post("/contacts/new", {"name": "New Person", "email": "new@x.example",
                                             "account": acme_corp.pk})
    contact = Contact.objects.get(email="new@x.example")
    assert response["Location"] == f"/contacts/{contact.pk}"
    assert contact.tenant_id == tenant.pk and contact.account_id == acme_corp.pk
    duplicate = client.post("/contacts/new", {"email": "NEW@x.example"})
    assert "exists already" in duplicate.content.decode()


def test_new_contact_from_an_account_is_preselected(tenant, agent, acme_corp):
    body = login(agent).get(f"/contacts/new?account={acme_corp.pk}").content.decode()
    assert f'<option value="{acme_corp.pk}" selected>Initech</option>' in body


def test_pickers_return_only_this_tenants_matches(tenant, other_tenant, agent, acme_corp):
    AccountFactory(tenant=other_tenant, name="Initech Shadow")
    ContactFactory(tenant=other_tenant, name="Peter Shadow", email="peter@shadow.example")
    client = login(agent)
    body = client.get("/pickers/accounts", {"q": "initech"}).content.decode()
    assert "Initech" in body and "Shadow" not in body
    assert f'data-id="{acme_corp.pk}"' in body
    body = client.get("/pickers/contacts", {"contact_q": "peter"}).content.decode()
    assert "Peter Gibbons" in body and "Shadow" not in body
    assert f'data-account-id="{acme_corp.pk}"' in body and 'data-account-text="Initech"' in body
    body = client.get("/pickers/contacts", {"account": acme_corp.pk}).content.decode()
    assert "Peter Gibbons" in body and "Bill Lumbergh" in body
    body = client.get("/pickers/accounts", {"q": "zzz"}).content.decode()
    assert "No accounts match" in body


def _fill(tenant, accounts: int, start: int = 0) -> None:
    for n in range(start, start + accounts):
        account = AccountFactory(tenant=tenant, name=f"Bulk {n:03d}")
        contact = ContactFactory(tenant=tenant, account=account)
        make_case(tenant, subject=f"Case {n}", account_id=account.pk, contact_id=contact.pk)


def test_list_query_counts_do_not_grow_with_rows(tenant, agent, django_assert_max_num_queries):
    client = login(agent)
    _fill(tenant, 2)
    with django_assert_max_num_queries(12) as few_accounts:
        client.get("/accounts")
    with django_assert_max_num_queries(12) as few_contacts:
        client.get("/contacts")
    _fill(tenant, 30, start=2)
    with django_assert_max_num_queries(len(few_accounts.captured_queries)):
        assert len(client.get("/accounts").context["page"].rows) == 32
    with django_assert_max_num_queries(len(few_contacts.captured_queries)):
        assert len(client.get("/contacts").context["page"].rows) == 32


def test_detail_query_counts_do_not_grow_with_cases(tenant, agent, acme_corp,
                                                    django_assert_max_num_queries):
    client = login(agent)
    peter = Contact.objects.get(email="peter@initech.example")
    with django_assert_max_num_queries(20) as few_account:
        client.get(f"/accounts/{acme_corp.pk}")
    with django_assert_max_num_queries(20) as few_contact:
        client.get(f"/contacts/{peter.pk}")
    for n in range(12):
        contact = ContactFactory(tenant=tenant, account=acme_corp)
        DealFactory(tenant=tenant, account=acme_corp)
        make_case(tenant, subject=f"More {n}", account_id=acme_corp.pk, contact_id=peter.pk,
                  owner_id=agent.user_id)
        close(make_case(tenant, subject=f"Closed {n}", account_id=acme_corp.pk,
                        contact_id=contact.pk))
    with django_assert_max_num_queries(len(few_account.captured_queries)):
        client.get(f"/accounts/{acme_corp.pk}")
    with django_assert_max_num_queries(len(few_contact.captured_queries)):
        client.get(f"/contacts/{peter.pk}")

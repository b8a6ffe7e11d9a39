"""`GET /api/v1/export/cases|contacts|accounts`: the list's filters, streamed."""

import csv
import io
import json
from typing import Any

import pytest

from casedesk.cases.models import Case, CustomFieldDefinition
from casedesk.crm.models import Account, Contact
from casedesk.exporter.rows import BOM
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.conftest import Api, Foreign
from tests.factories import AccountFactory, ContactFactory, make_case


def body(response: Any) -> str:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response: Any) -> list[dict[str, str]]:
    text = body(response)
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))


def jsonl_rows(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body(response).splitlines()]


@pytest.fixture
def cases(tenant: Tenant) -> list[Case]:
    account = AccountFactory(tenant=tenant, name="Initech")
    contact = ContactFactory(tenant=tenant, account=account, name="Peter",
                             email="peter@initech.example")
    return [make_case(tenant, subject="=HYPERLINK(\"http://evil\")", priority=4,
                      account_id=account.pk, contact_id=contact.pk, tags=["vip"]),
            make_case(tenant, subject="Printer jam", priority=1),
            make_case(tenant, subject="Billing question", priority=4, category="Billing")]


def test_cases_csv_matches_the_list_with_the_same_filters(agent_api: Api, cases: list[Case],
                                                          foreign: Foreign) -> None:
    listed = agent_api.get("/cases", priority="urgent").json()["items"]
    rows = csv_rows(agent_api.get("/export/cases", priority="urgent", format="csv"))
    assert [r["number"] for r in rows] == [c["number"] for c in listed]
    assert len(rows) == 2
    first = rows[-1]
    assert first["subject"] == "'=HYPERLINK(\"http://evil\")"
    assert first["priority"] == "urgent" and first["account"] == "Initech"
    assert first["contact_email"] == "peter@initech.example" and first["tags"] == "vip"
    assert all("Globex" not in r["subject"] for r in rows)


def test_every_case_of_the_tenant_and_none_of_another(admin_api: Api, cases: list[Case],
                                                      foreign: Foreign) -> None:
    rows = jsonl_rows(admin_api.get("/export/cases", format="jsonl"))
    tenant_cases = Case.objects.filter(tenant=cases[0].tenant).count()
    assert len(rows) == tenant_cases
    assert foreign.case_number not in {r["number"] for r in rows}
    # JSON Lines keeps the text as it is: programs read it, not spreadsheets.
    assert "=HYPERLINK(\"http://evil\")" in {r["subject"] for r in rows}


def test_custom_fields_are_columns_in_csv_and_an_object_in_jsonl(
        admin_api: Api, tenant: Tenant) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan", kind="text")
    case = make_case(tenant, subject="With plan")
    Case.objects.filter(pk=case.pk).update(custom_fields={"plan": "Gold"})
    row = next(r for r in csv_rows(admin_api.get("/export/cases", q="With plan"))
               if r["subject"] == "With plan")
    assert row["cf:plan"] == "Gold"
    (line,) = jsonl_rows(admin_api.get("/export/cases", q="With plan", format="jsonl"))
    assert line["custom_fields"] == {"plan": "Gold"}


def test_owner_me_and_queue_filters_are_those_of_the_list(agent_api: Api, agent: Any,
                                                          cases: list[Case]) -> None:
    Case.objects.filter(pk=cases[1].pk).update(owner=agent.user)
    rows = csv_rows(agent_api.get("/export/cases", owner="me"))
    assert [r["number"] for r in rows] == [cases[1].display_number]
    assert rows[0]["owner_email"] == agent.user.email
    assert agent_api.get("/export/cases", owner="nobody").status_code == 422


def test_bad_parameters_are_refused(agent_api: Api) -> None:
    for params in ({"format": "xlsx"}, {"status": "lost"}, {"account": "0"},
                   {"q": "x" * 201}):
        response = agent_api.get("/export/cases", **params)
        assert response.status_code == 422, params
        assert "detail" in response.json()


def test_anonymous_is_refused(anonymous_api: Api) -> None:
    assert anonymous_api.get("/export/cases").status_code == 401
    assert anonymous_api.get("/export/contacts").status_code == 401


def test_each_export_is_audited_with_its_filters_and_format(agent_api: Api, agent: Any,
                                                            cases: list[Case]) -> None:
    body(agent_api.get("/export/cases", status="new", q="jam", format="jsonl"))
    entry = AuditEntry.objects.get(tenant=agent.tenant, action="export.cases")
    assert entry.actor_id == agent.user_id and entry.via == "api"
    assert entry.detail == {"format": "jsonl", "filters": {"status": ["new"], "q": "jam"}}


def test_contacts_with_the_list_filters(agent_api: Api, tenant: Tenant,
                                        foreign: Foreign) -> None:
    acme = AccountFactory(tenant=tenant, name="Acme")
    ContactFactory(tenant=tenant, account=acme, name="Ann", email="ann@acme.example",
                   phone="+49 30 1234")
    ContactFactory(tenant=tenant, name="Bob", email="bob@else.example")
    rows = csv_rows(agent_api.get("/export/contacts", account=str(acme.pk)))
    assert [(r["name"], r["email"], r["account"]) for r in rows] == [
        ("Ann", "ann@acme.example", "Acme")]
    assert rows[0]["phone"] == "'+49 30 1234"
    everyone = jsonl_rows(agent_api.get("/export/contacts", format="jsonl"))
    assert len(everyone) == Contact.objects.filter(tenant=tenant).count()
    assert foreign.contact_id not in {r["id"] for r in everyone}
    assert agent_api.get("/export/contacts", account=str(foreign.account_id)).status_code == 200
    assert csv_rows(agent_api.get("/export/contacts", account=str(foreign.account_id))) == []


def test_accounts_by_name(agent_api: Api, tenant: Tenant, foreign: Foreign) -> None:
    AccountFactory(tenant=tenant, name="Zeta", domain="zeta.example")
    AccountFactory(tenant=tenant, name="Alpha", domain="alpha.example")
    rows = csv_rows(agent_api.get("/export/accounts"))
    names = [r["name"] for r in rows]
    assert names == sorted(names) and {"Alpha", "Zeta"} <= set(names)
    assert len(rows) == Account.objects.filter(tenant=tenant).count()
    assert [r["name"] for r in csv_rows(agent_api.get("/export/accounts", q="zet"))] == ["Zeta"]


def test_related_names_cost_no_query_per_row(admin_api: Api, tenant: Tenant,
                                             django_assert_max_num_queries: Any) -> None:
    account = AccountFactory(tenant=tenant)
    for i in range(30):
        contact = ContactFactory(tenant=tenant, account=account)
        make_case(tenant, subject=f"Case {i}", account_id=account.pk, contact_id=contact.pk)
    with django_assert_max_num_queries(25):
        rows = csv_rows(admin_api.get("/export/cases"))
    assert len(rows) >= 30

"""The SLA compliance pages and API: who may see them, the stored months, a month's tables,
the PDF and CSV downloads, generating a month, and the refusals (a bad month, a month not
over, a month without a report, another tenant's month).

The tenant works in UTC with its seeded policies ("Normal priority": first response within
8 business hours, Mon–Fri 09:00–17:00). In October 2026 case "Answered" was answered within
the hour and "Forgotten" never: its first response fell due on 5 October at 17:00."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from pypdf import PdfReader

from casedesk.cases.models import Case
from casedesk.cases.services import case_add_note
from casedesk.reports.compliance_job import compliance_generate
from casedesk.reports.models import MonthlyCompliance
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Api, Clock, login
from tests.factories import make_case

OCTOBER, SEPTEMBER = date(2026, 10, 1), date(2026, 9, 1)
MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
PAGES = ("/reports/compliance", "/reports/compliance/2026-10",
         "/reports/compliance/2026-10.pdf", "/reports/compliance/2026-10.csv")


@pytest.fixture
def october(tenant: Tenant, agent: Membership, clock: Clock) -> Case:
    """October's report of the tenant, stored (and September's, empty); returns the
    forgotten case."""
    answered = make_case(tenant, subject="Answered", now=MONDAY)
    case_add_note(case=answered, actor=agent.user, body="Hello.", is_public=True,
                  now=MONDAY.replace(hour=10))
    forgotten = make_case(tenant, subject="=1+1 Forgotten", now=MONDAY)
    compliance_generate(tenant, SEPTEMBER, NOW)
    compliance_generate(tenant, OCTOBER, NOW)
    return forgotten


def page_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_the_list_shows_the_stored_months(october: Case, manager: Membership) -> None:
    page = page_of(login(manager), "/reports/compliance")
    assert page.index("October 2026") < page.index("September 2026")
    assert 'href="/reports/compliance/2026-10"' in page
    row = page[page.index('href="/reports/compliance/2026-10"'):]
    row = row[:row.index("</tr>")]
    assert "50.0%" in row and "not mailed" in row  # one of two first responses in time
    # The form offers the ended months, the latest first; the stored ones say so.
    assert '<option value="2026-10">October 2026 (stored: generate again)</option>' in page
    assert '<option value="2026-11"' not in page  # this month


def test_a_month_as_tables(october: Case, admin: Membership, tenant: Tenant) -> None:
    page = page_of(login(admin), "/reports/compliance/2026-10")
    assert "SLA compliance, October 2026" in page and "counted in UTC" in page
    totals = page[page.index('data-testid="totals"'):page.index("</table>",
                                                               page.index('data-testid="totals"'))]
    assert "First response" in totals and "50.0%" in totals
    assert "Normal priority" in page
    assert "First response within 8 h (business hours)" in page
    offenders = page[page.index('data-testid="offenders"'):]
    offenders = offenders[:offenders.index("</table>")]
    assert f'href="/cases/{october.display_number}"' in offenders
    assert "=1+1 Forgotten" in offenders and "5 Oct 17:00" in offenders
    assert "not done" in offenders
    # The trend links to September's stored report.
    assert 'href="/reports/compliance/2026-09"' in page
    assert "(this report)" in page


def test_downloads(october: Case, manager: Membership) -> None:
    client = login(manager)
    pdf = client.get("/reports/compliance/2026-10.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="sla-compliance-2026-10.pdf"'
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "SLA compliance, October 2026" in text and "=1+1 Forgotten" in text

    lines = client.get("/reports/compliance/2026-10.csv")
    assert lines["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(lines.content.decode())))
    first = next(r for r in rows if r["target"] == "first_response")
    assert (first["policy"], first["cases"], first["met"], first["breached"]) == (
        "Normal priority", "2", "1", "1")

    offenders = client.get("/reports/compliance/2026-10.csv?part=offenders")
    assert offenders["Content-Disposition"] == (
        'attachment; filename="sla-compliance-2026-10-offenders.csv"')
    rows = list(csv.DictReader(io.StringIO(offenders.content.decode())))
    assert {r["subject"] for r in rows} == {"Answered", "'=1+1 Forgotten"}  # a formula defused
    assert client.get("/reports/compliance/2026-10.csv?part=secrets").status_code == 404


def test_agents_are_refused_and_strangers_sent_to_sign_in(october: Case,
                                                          agent: Membership) -> None:
    for url in PAGES:
        assert login(agent).get(url).status_code == 403
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert login(agent).post("/reports/compliance", {"month": "2026-10"}).status_code == 403


@pytest.mark.parametrize("url", ["/reports/compliance/2026-13", "/reports/compliance/2025-01",
                                 "/reports/compliance/2025-01.pdf",
                                 "/reports/compliance/2026-9", "/reports/compliance/2026-11"])
def test_a_month_without_a_report_is_not_found(october: Case, manager: Membership,
                                               url: str) -> None:
    assert login(manager).get(url).status_code == 404


def test_another_tenants_month_is_not_found(october: Case, other_tenant: Tenant,
                                            outsider: Membership, clock: Clock) -> None:
    compliance_generate(other_tenant, date(2026, 8, 1), NOW)
    client = login(outsider)
    assert client.get("/reports/compliance/2026-10").status_code == 404
    assert client.get("/reports/compliance/2026-10.csv").status_code == 404
    assert "October 2026</a>" not in page_of(client, "/reports/compliance")
    assert "August 2026" in page_of(client, "/reports/compliance")


def test_generating_a_month(tenant: Tenant, manager: Membership, clock: Clock) -> None:
    make_case(tenant, subject="Late", now=MONDAY)
    client = login(manager)
    response = client.post("/reports/compliance", {"month": "2026-10"})
    assert response.status_code == 302
    assert response["Location"] == "/reports/compliance/2026-10"
    stored = MonthlyCompliance.objects.get(tenant=tenant)
    assert (stored.month, stored.generated_at, stored.mailed_at) == (OCTOBER, NOW, None)
    assert "The report for October 2026 was made." in page_of(client, response["Location"])

    clock.advance(hours=1)
    assert client.post("/reports/compliance", {"month": "2026-10"}).status_code == 302
    stored.refresh_from_db()
    assert stored.generated_at == clock.now  # replaced, still one row
    assert MonthlyCompliance.objects.filter(tenant=tenant).count() == 1


def test_generating_a_month_not_over_or_not_a_month_is_refused(
        tenant: Tenant, manager: Membership, clock: Clock) -> None:
    client = login(manager)
    response = client.post("/reports/compliance", {"month": "2026-11"})
    assert response.status_code == 409
    assert "November 2026 is this month in UTC" in response.content.decode()
    response = client.post("/reports/compliance", {"month": "2026-13"})
    assert response.status_code == 422
    assert "is not a month" in response.content.decode()
    assert not MonthlyCompliance.objects.exists()


# --- the API --------------------------------------------------------------------------------

def test_the_api_lists_and_reads(october: Case, manager_api: Api, tenant: Tenant) -> None:
    listed = manager_api.get("/reports/compliance")
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [i["month"] for i in items] == ["2026-10", "2026-09"]
    assert items[0]["title"] == "October 2026" and items[0]["mailed_at"] is None
    first = next(t for t in items[0]["totals"] if t["kind"] == "first_response")
    assert (first["cases"], first["met"], first["breached"], first["attainment"]) == (
        2, 1, 1, 50.0)

    report = manager_api.get("/reports/compliance/2026-10").json()
    assert report["time_zone"] == "UTC" and report["tenant_name"] == tenant.name
    assert {(line["policy"], line["priority"], line["kind"]) for line in report["lines"]} == {
        ("Normal priority", "normal", "first_response"),
        ("Normal priority", "normal", "resolution")}
    offender = report["offenders"][0]
    assert offender["case_number"] == october.display_number
    assert offender["due_at"] == "2026-10-05T17:00:00Z"
    assert [p["month"] for p in report["trend"]][-1] == "2026-09"


def test_the_api_downloads(october: Case, admin_api: Api) -> None:
    pdf = admin_api.get("/reports/compliance/2026-10/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    lines = admin_api.get("/reports/compliance/2026-10/csv")
    assert lines.content.decode().startswith("month,policy,priority,target,")
    offenders = admin_api.get("/reports/compliance/2026-10/csv", part="offenders")
    assert offenders.content.decode().startswith("month,case_number,subject,")
    assert admin_api.get("/reports/compliance/2026-10/csv", part="x").status_code == 422


def test_the_api_generates(tenant: Tenant, manager_api: Api, clock: Clock) -> None:
    make_case(tenant, subject="Late", now=MONDAY)
    response = manager_api.post("/reports/compliance/2026-10/generate")
    assert response.status_code == 200
    assert response.json()["month"] == "2026-10"
    assert response.json()["generated_at"] == "2026-11-23T09:00:00Z"
    assert MonthlyCompliance.objects.filter(tenant=tenant, month=OCTOBER).exists()


@pytest.mark.parametrize(("path", "status"), [
    ("/reports/compliance/2026-13", 422), ("/reports/compliance/october", 422),
    ("/reports/compliance/2026-11", 409), ("/reports/compliance/2031-01/pdf", 409),
    ("/reports/compliance/2025-01", 404), ("/reports/compliance/2025-01/csv", 404),
])
def test_the_api_refuses(october: Case, manager_api: Api, path: str, status: int) -> None:
    response = manager_api.get(path)
    assert response.status_code == status
    assert response.json()["detail"]
    if status == 422:
        assert response.json()["field"] == "month"


def test_the_api_refuses_generating_a_month_not_over(tenant: Tenant, manager_api: Api,
                                                     clock: Clock) -> None:
    response = manager_api.post("/reports/compliance/2026-11/generate")
    assert response.status_code == 409
    assert "November 2026 is this month" in response.json()["detail"]
    assert manager_api.post("/reports/compliance/2026-00/generate").status_code == 422


def test_the_api_is_for_managers_and_admins(october: Case, agent_api: Api,
                                            anonymous_api: Api) -> None:
    for path in ("/reports/compliance", "/reports/compliance/2026-10",
                 "/reports/compliance/2026-10/pdf", "/reports/compliance/2026-10/csv"):
        assert agent_api.get(path).status_code == 403
        assert anonymous_api.get(path).status_code == 401
    assert agent_api.post("/reports/compliance/2026-10/generate").status_code == 403
    assert anonymous_api.post("/reports/compliance/2026-10/generate").status_code == 401


def test_the_api_keeps_tenants_apart(october: Case, outsider_api: Api) -> None:
    assert outsider_api.get("/reports/compliance").json() == {"items": []}
    assert outsider_api.get("/reports/compliance/2026-10").status_code == 404
    assert outsider_api.get("/reports/compliance/2026-10/pdf").status_code == 404

"""The export links of the lists and the full export page `/settings/export`."""

import csv
import html
import io
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages

from casedesk.exporter.models import ExportJob, ExportStatus
from casedesk.exporter.rows import BOM
from casedesk.exporter.services import export_request
from casedesk.tenancy.models import AuditEntry, Membership, Tenant
from tests.conftest import NOW, Foreign, login
from tests.factories import AccountFactory, ContactFactory, make_case

pytestmark = pytest.mark.usefixtures("clock")


def export_href(page: str, fmt: str) -> str:
    match = re.search(rf'href="([^"]*format={fmt})" download data-testid="export-{fmt}"', page)
    assert match, page
    return html.unescape(match.group(1))


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))


def test_case_list_link_carries_the_filters_and_exports_what_it_lists(
        agent: Membership, tenant: Tenant, foreign: Foreign) -> None:
    make_case(tenant, subject="Toner low", priority=4)
    make_case(tenant, subject="Paper jam", priority=1)
    client = login(agent)
    page = client.get("/cases", {"priority": "urgent", "q": "toner"}).content.decode()
    href = export_href(page, "csv")
    assert href.startswith("/cases/export?") and "priority=urgent" in href
    assert "q=toner" in href
    rows = rows_of(client.get(href))
    assert [r["subject"] for r in rows] == ["Toner low"]
    entry = AuditEntry.objects.get(tenant=tenant, action="export.cases")
    assert entry.via == "web" and entry.detail["filters"] == {"priority": ["urgent"],
                                                             "q": "toner"}
    assert "format=jsonl" in export_href(page, "jsonl")


def test_filters_the_list_cannot_read_export_nothing(agent: Membership) -> None:
    client = login(agent)
    for query in ({"status": "lost"}, {"format": "xlsx"}):
        response = client.get("/cases/export", query)
        assert response.status_code == 302 and response["Location"].startswith("/cases")
        assert any("Nothing was exported" in str(m)
                   for m in get_messages(response.wsgi_request))
    assert not AuditEntry.objects.filter(action="export.cases").exists()


def test_contacts_and_accounts_lists_export_their_search(agent: Membership, tenant: Tenant,
                                                         foreign: Foreign) -> None:
    acme = AccountFactory(tenant=tenant, name="Acme Tools", domain="acmetools.example")
    AccountFactory(tenant=tenant, name="Other")
    ContactFactory(tenant=tenant, account=acme, name="Ann Acme", email="ann@acme.example")
    ContactFactory(tenant=tenant, name="Bob", email="bob@else.example")
    client = login(agent)
    page = client.get("/contacts", {"q": "ann"}).content.decode()
    rows = rows_of(client.get(export_href(page, "csv")))
    assert [r["email"] for r in rows] == ["ann@acme.example"]
    page = client.get("/accounts", {"q": "acmetools"}).content.decode()
    rows = rows_of(client.get(export_href(page, "csv")))
    assert [r["name"] for r in rows] == ["Acme Tools"]


def test_the_export_page_is_for_admins(agent: Membership, manager: Membership) -> None:
    for member in (agent, manager):
        assert login(member).get("/settings/export").status_code == 403
        assert login(member).post("/settings/export").status_code == 403
    assert not ExportJob.objects.exists()


def test_admin_asks_watches_downloads_and_deletes(
        admin: Membership, tenant: Tenant, django_capture_on_commit_callbacks: Any) -> None:
    client = login(admin)
    assert "No exports yet" in client.get("/settings/export").content.decode()
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    # While it is being made the list polls itself.
    fragment = client.get("/settings/export", headers={
        "HX-Request": "true", "HX-Target": "export-jobs"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "<h1>" not in fragment
    assert "Queued 0%" in fragment
    ExportJob.objects.filter(pk=job.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/settings/export")
    assert response.status_code == 302
    job = ExportJob.objects.get(tenant=tenant)
    assert job.status == ExportStatus.DONE
    page = client.get("/settings/export").content.decode()
    assert f"/settings/export/{job.pk}/download" in page and "every 2s" not in page
    download = client.get(f"/settings/export/{job.pk}/download")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert b"".join(download.streaming_content).startswith(b"PK")
    assert client.post(f"/settings/export/{job.pk}/delete").status_code == 302
    assert not ExportJob.objects.filter(pk=job.pk).exists()


def test_a_second_request_is_refused_on_the_page(admin: Membership, tenant: Tenant) -> None:
    export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    response = login(admin).post("/settings/export", follow=True)
    assert "already being made" in response.content.decode()
    assert ExportJob.objects.filter(tenant=tenant).count() == 1


def test_another_tenants_export_is_not_found(admin: Membership, foreign: Foreign) -> None:
    job = ExportJob.objects.get(pk=foreign.export_id)  # the export the fixture asked for
    client = login(admin)
    assert client.get(f"/settings/export/{job.pk}/download").status_code == 404
    assert client.post(f"/settings/export/{job.pk}/delete").status_code == 404
    assert ExportJob.objects.filter(pk=job.pk).exists()

"""The import pages: upload and dry run, CSV columns chosen and checked again, the import
handed to the worker with its progress and summary; admins only."""

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.cases.models import Case
from casedesk.importer.jobs import job_run, jobs_run_due
from casedesk.importer.models import ImportJob, JobStatus
from casedesk.tenancy.models import AuditEntry, Membership, Tenant
from tests.conftest import NOW, login
from tests.importer.helpers import FILES, SAMPLES, define_fields


def upload(format: str, names: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    files = [SimpleUploadedFile(name, (SAMPLES / format / name).read_bytes())
             for name in names or FILES[format]]
    return {"format": format, "export_files": files, **extra}


@pytest.fixture
def fields(tenant: Tenant) -> Tenant:
    define_fields(tenant)
    return tenant


def test_agents_and_managers_may_not_import(agent: Membership, manager: Membership) -> None:
    for member in (agent, manager):
        client = login(member)
        assert client.get("/settings/import").status_code == 403
        assert client.post("/settings/import", upload("freshdesk")).status_code == 403
    assert not ImportJob.objects.exists()


def test_another_tenants_import_is_not_found(fields: Tenant, admin: Membership,
                                             outsider: Membership) -> None:
    login(admin).post("/settings/import", upload("freshdesk"))
    job = ImportJob.objects.get()
    client = login(outsider)
    for path in (f"/settings/import/{job.pk}", f"/settings/import/{job.pk}/progress"):
        assert client.get(path).status_code in (403, 404)
    outsider.role = "admin"
    outsider.save()
    client = login(outsider)
    assert client.get(f"/settings/import/{job.pk}").status_code == 404
    assert client.post(f"/settings/import/{job.pk}/start").status_code == 404


def test_upload_dry_run_then_import_in_the_background(
        fields: Tenant, admin: Membership, clock: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    client = login(admin)
    page = client.get("/settings/import")
    assert page.status_code == 200 and b"Upload and check" in page.content
    response = client.post("/settings/import", upload("freshdesk"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/settings/import/{job.pk}"
    assert job.status == JobStatus.CHECKED and job.counts["case"]["created"] == 4
    assert all(default_storage.exists(f["path"]) for f in job.files)
    assert not Case.objects.filter(tenant=fields).exists()
    page = client.get(f"/settings/import/{job.pk}")
    assert b'data-testid="import-dry-run"' in page.content
    assert b'data-testid="import-start"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/settings/import/{job.pk}/start")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.failure
    assert (job.done, job.total) == (10, 10)
    assert Case.objects.filter(tenant=fields).count() == 4
    progress = client.get(f"/settings/import/{job.pk}/progress")
    assert b'data-testid="import-summary"' in progress.content and b"every 1s" not in \
        progress.content
    entry = AuditEntry.objects.get(tenant=fields, action="import.run")
    assert entry.target_id == str(job.pk) and entry.actor_id == admin.user_id
    # Started once only.
    again = client.post(f"/settings/import/{job.pk}/start", follow=True)
    assert b"was started already" in again.content


def test_a_running_import_shows_a_progress_bar_that_polls(fields: Tenant,
                                                         admin: Membership) -> None:
    client = login(admin)
    client.post("/settings/import", upload("freshdesk"))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=3, total=10)
    fragment = client.get(f"/settings/import/{job.pk}/progress")
    assert b'hx-trigger="every 1s"' in fragment.content
    assert b'<progress max="100" value="30"' in fragment.content


def test_refused_rows_are_listed_and_the_import_is_not_offered(fields: Tenant,
                                                               admin: Membership) -> None:
    text = (SAMPLES / "freshdesk" / "tickets.csv").read_text().replace(
        '"2024-01-11 08:00:00","2024-01-18', '"soon","2024-01-18')
    client = login(admin)
    client.post("/settings/import", {"format": "freshdesk",
                                     "export_files": [SimpleUploadedFile("tickets.csv",
                                                                  text.encode())]})
    job = ImportJob.objects.get()
    page = client.get(f"/settings/import/{job.pk}")
    assert b"tickets.csv line 5" in page.content
    assert b"Created time: &#x27;soon&#x27; is not a time" in page.content
    assert b'data-testid="import-start"' not in page.content
    refused = client.post(f"/settings/import/{job.pk}/start", follow=True)
    assert b"1 row(s) are refused" in refused.content
    assert ImportJob.objects.get().status == JobStatus.CHECKED


def test_csv_columns_are_suggested_and_can_be_chosen(fields: Tenant,
                                                     admin: Membership) -> None:
    client = login(admin)
    client.post("/settings/import", upload("csv"))
    job = ImportJob.objects.get()
    page = client.get(f"/settings/import/{job.pk}")
    assert b'data-testid="import-columns"' in page.content
    assert b'<option value="Ref" selected>' in page.content
    columns = {"col_id": "Ref", "col_subject": "Title", "col_created_at": "Opened",
               "col_status": "State", "col_closed_at": "Closed",
               "col_contact_email": "Customer email", "col_account_name": "Company",
               "col_custom:plan": "Plan", "col_category": "Category"}
    response = client.post(f"/settings/import/{job.pk}", columns)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["columns"]["custom:plan"] == "Plan"
    assert job.problem_count == 0 and job.counts["case"]["created"] == 3
    missing = client.post(f"/settings/import/{job.pk}", {"col_id": "Ref"})
    assert missing.status_code == 422 and b"This field is required" in missing.content


def test_bad_uploads_are_form_errors(fields: Tenant, admin: Membership) -> None:
    client = login(admin)
    no_files = client.post("/settings/import", {"format": "zendesk"})
    assert no_files.status_code == 422 and b"This field is required" in no_files.content
    bad_mapping = client.post("/settings/import", upload(
        "zendesk", mapping=SimpleUploadedFile("m.json", b"{not json")))
    assert bad_mapping.status_code == 422 and b"The mapping file is not JSON" in \
        bad_mapping.content
    assert not ImportJob.objects.exists()


def test_the_worker_takes_up_a_job_whose_task_was_lost(fields: Tenant, admin: Membership,
                                                       clock: Any) -> None:
    client = login(admin)
    client.post("/settings/import", upload("freshdesk"))
    client.post(f"/settings/import/{ImportJob.objects.get().pk}/start")  # task not run
    job = ImportJob.objects.get()
    assert job.status == JobStatus.QUEUED
    assert [j.pk for j in jobs_run_due(NOW)] == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job_run(job.pk, NOW) is None  # done: nothing to claim again
    assert Case.objects.filter(tenant=fields).count() == 4
    # A worker that died mid-run: its lease runs out and another takes the job again,
    # which changes nothing already imported.
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, lease_until=NOW)
    jobs_run_due(NOW.replace(hour=10))
    assert ImportJob.objects.get().status == JobStatus.DONE
    assert Case.objects.filter(tenant=fields).count() == 4


def test_the_pages_need_nothing_the_content_security_policy_refuses(
        fields: Tenant, admin: Membership) -> None:
    from tests.test_security import INLINE

    client = login(admin)
    client.post("/settings/import", upload("csv"))
    job = ImportJob.objects.get()
    for path in ("/settings/import", f"/settings/import/{job.pk}",
                 f"/settings/import/{job.pk}/progress"):
        html = client.get(path).content.decode()
        for pattern, what in INLINE:
            assert pattern.search(html) is None, f"{path} has {what}"

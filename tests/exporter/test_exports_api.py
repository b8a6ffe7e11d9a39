"""`POST /api/v1/exports`, `GET /exports[/{id}]`, the download, `DELETE /exports/{id}`."""

import io
import json
import zipfile
from typing import Any

import pytest

from casedesk.exporter.models import ExportJob, ExportStatus
from casedesk.exporter.services import export_request
from casedesk.tenancy.models import AuditEntry, Membership, Tenant
from tests.conftest import NOW, Api, Foreign

pytestmark = pytest.mark.usefixtures("clock")


def ask(api: Api, capture: Any) -> Any:
    # The build is queued when the request commits; the test settings run tasks inline.
    with capture(execute=True):
        response = api.post("/exports")
    assert response.status_code == 201, response.content
    return response.json()


def test_admin_asks_polls_and_downloads(admin_api: Api, tenant: Tenant,
                                       django_capture_on_commit_callbacks: Any) -> None:
    made = ask(admin_api, django_capture_on_commit_callbacks)
    assert made["status"] == "queued" and made["download_url"] is None
    job = admin_api.get(f"/exports/{made['id']}").json()
    assert job["status"] == "done" and job["progress"] == 100
    assert job["counts"]["cases.case"] >= 0 and job["size"] > 0
    assert job["requested_by"]["email"] == "admin@acme.test"
    response = admin_api.client.get(job["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert json.loads(archive.read("manifest.json"))["tenant"]["slug"] == tenant.slug
    assert AuditEntry.objects.filter(tenant=tenant, action="export.downloaded").exists()
    listed = admin_api.get("/exports").json()["items"]
    assert [j["id"] for j in listed] == [made["id"]]


def test_a_second_request_while_one_is_made_is_a_conflict(admin_api: Api, tenant: Tenant,
                                                          admin: Membership) -> None:
    export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    response = admin_api.post("/exports")
    assert response.status_code == 409
    assert "already being made" in response.json()["detail"]


def test_not_ready_is_a_conflict_and_running_cannot_be_deleted(
        admin_api: Api, tenant: Tenant, admin: Membership) -> None:
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    assert admin_api.get(f"/exports/{job.pk}/download").status_code == 409
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    assert admin_api.delete(f"/exports/{job.pk}").status_code == 409
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED)
    assert admin_api.delete(f"/exports/{job.pk}").status_code == 204
    assert admin_api.get(f"/exports/{job.pk}").status_code == 404


def test_agents_and_managers_may_not(agent_api: Api, manager_api: Api, tenant: Tenant,
                                     admin: Membership) -> None:
    job = export_request(tenant=tenant, actor=admin.user, now=NOW, in_background=False)
    for api in (agent_api, manager_api):
        assert api.post("/exports").status_code == 403
        assert api.get("/exports").status_code == 403
        assert api.get(f"/exports/{job.pk}").status_code == 403
        assert api.get(f"/exports/{job.pk}/download").status_code == 403
        assert api.delete(f"/exports/{job.pk}").status_code == 403


def test_another_tenants_export_is_not_found(admin_api: Api, foreign: Foreign) -> None:
    job = ExportJob.objects.get(pk=foreign.export_id)  # the export the fixture asked for
    for path in (f"/exports/{job.pk}", f"/exports/{job.pk}/download"):
        assert admin_api.get(path).status_code == 404
    assert admin_api.delete(f"/exports/{job.pk}").status_code == 404
    assert ExportJob.objects.filter(pk=job.pk).exists()
    assert admin_api.get("/exports").json()["items"] == []

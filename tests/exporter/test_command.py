"""`casedesk export`: the full export in the foreground, and one list to standard output."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from casedesk.exporter.models import ExportJob, ExportStatus
from casedesk.exporter.rows import BOM
from casedesk.tenancy.models import AuditEntry, Membership, Tenant
from tests.conftest import Foreign
from tests.factories import ContactFactory, make_case

pytestmark = pytest.mark.usefixtures("clock")


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_full_export_to_a_file(tenant: Tenant, tmp_path: Path, foreign: Foreign) -> None:
    make_case(tenant, subject="Exported by the command")
    target = tmp_path / "acme.zip"
    _, err = run("--tenant", tenant.slug, "--output", str(target))
    assert str(target) in err
    with zipfile.ZipFile(target) as archive:
        cases = archive.read("data/cases/case.jsonl").decode()
        assert "Exported by the command" in cases and "Globex" not in cases
        assert json.loads(archive.read("manifest.json"))["tenant"]["slug"] == tenant.slug
    job = ExportJob.objects.get(tenant=tenant)
    assert job.status == ExportStatus.DONE and job.requested_by is None
    entry = AuditEntry.objects.get(tenant=tenant, action="export.tenant")
    assert entry.actor_id is None and entry.actor_label == "system"


def test_a_list_to_stdout_with_filters(tenant: Tenant, agent: Membership) -> None:
    make_case(tenant, subject="Urgent one", priority=4)
    make_case(tenant, subject="Low one", priority=1)
    out, _ = run("--tenant", tenant.slug, "--list", "cases", "--filter", "priority=urgent",
                 "--filter", "priority=high")
    rows = list(csv.DictReader(io.StringIO(out.removeprefix(BOM))))
    assert [r["subject"] for r in rows] == ["Urgent one"]
    ContactFactory(tenant=tenant, name="Zed", email="zed@example.com")
    out, _ = run("--tenant", tenant.slug, "--list", "contacts", "--format", "jsonl",
                 "--filter", "q=zed")
    assert [json.loads(line)["email"] for line in out.splitlines()] == ["zed@example.com"]
    out, _ = run("--tenant", tenant.slug, "--list", "cases", "--filter", "owner=me",
                 "--user", agent.user.email)
    assert out == BOM + out.removeprefix(BOM) and len(out.splitlines()) == 1  # header only


@pytest.mark.parametrize("args, message", [
    (["--tenant", "nope"], "No tenant"),
    (["--list", "cases", "--filter", "status=lost"], "not understood"),
    (["--list", "cases", "--filter", "nonsense"], "key=value"),
    (["--list", "cases", "--filter", "owner=me"], "--user"),
    (["--list", "accounts", "--filter", "email=x@y.z"], "not email"),
    (["--list", "contacts", "--filter", "account=abc"], "account id"),
    (["--filter", "q=x"], "goes with --list"),
    (["--output", "/no/such/folder/x.zip"], "does not exist"),
])
def test_bad_arguments_are_refused(tenant: Tenant, args: list[str], message: str) -> None:
    full = args if args[0] == "--tenant" else ["--tenant", tenant.slug, *args]
    with pytest.raises(CommandError, match=message):
        run(*full)
    assert not ExportJob.objects.exists()

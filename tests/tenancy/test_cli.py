"""The console script's tenant and token commands, run as a user would run them."""

import io
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from casedesk.cases.models import PicklistValue
from casedesk.routing.models import Queue
from casedesk.tenancy.models import ApiToken, Membership, Tenant
from casedesk.tenancy.tokens import token_digest
from tests.servers import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_tenant_seeds_defaults_and_admin(db) -> None:
    output = run("create_tenant", "initech", "--name", "Initech", "--admin", "Boss@Initech.test",
                 "--password", "s3cret-pass")
    assert "initech" in output
    tenant = Tenant.objects.get(slug="initech")
    membership = Membership.objects.get(tenant=tenant)
    assert membership.role == "admin" and membership.user.email == "boss@initech.test"
    assert membership.user.check_password("s3cret-pass")
    assert set(Queue.objects.filter(tenant=tenant).values_list("name", flat=True)) == {
        "Support", "Finance", "Engineering"}
    # The first admin sees what arrives: they belong to every default queue.
    assert set(membership.queues.values_list("name", flat=True)) == {
        "Support", "Finance", "Engineering"}
    reasons = set(PicklistValue.objects.filter(tenant=tenant, kind="closed_reason")
                  .values_list("value", flat=True))
    assert reasons == {"Resolved", "Duplicate", "Customer unresponsive", "Won't fix", "Other"}


def test_create_tenant_twice_is_a_clear_error(db) -> None:
    run("create_tenant", "initech", "--name", "Initech", "--admin", "a@initech.test")
    with pytest.raises(CommandError, match="exists already"):
        run("create_tenant", "initech", "--name", "Again", "--admin", "a@initech.test")
    with pytest.raises(CommandError, match="slug"):
        run("create_tenant", "Not A Slug", "--name", "x", "--admin", "a@initech.test")


def test_create_token_prints_only_a_working_token(tenant, admin) -> None:
    output = run("create_token", "--tenant", "acme", "--user", "ADMIN@acme.test")
    token = output.strip()
    assert output == token + "\n"
    stored = ApiToken.objects.get(membership=admin)
    assert stored.digest == token_digest(token) and token not in stored.digest
    from tests.conftest import Api

    assert Api(token).get("/me").json()["tenant"] == "acme"


def test_create_token_for_unknown_member_fails(tenant) -> None:
    with pytest.raises(CommandError, match="not a member"):
        run("create_token", "--tenant", "acme", "--user", "nobody@acme.test")
    with pytest.raises(CommandError, match="No tenant"):
        run("create_token", "--tenant", "nope", "--user", "admin@acme.test")


def test_revoked_token_is_refused(tenant, admin) -> None:
    token = run("create_token", "--tenant", "acme", "--user", "admin@acme.test").strip()
    from tests.conftest import Api

    assert Api(token).get("/me").status_code == 200
    run("revoke_token", token)
    response = Api(token).get("/me")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_user_in_two_tenants_acts_in_the_token_tenant(tenant, other_tenant, admin) -> None:
    from casedesk.tenancy.services import membership_add

    membership_add(tenant=other_tenant, user=admin.user, role="agent")
    from tests.conftest import Api

    acme = Api(run("create_token", "--tenant", "acme", "--user", "admin@acme.test").strip())
    globex = Api(run("create_token", "--tenant", "globex", "--user", "admin@acme.test").strip())
    number = acme.post("/cases", {"subject": "Only in Acme"}).json()["number"]
    assert acme.get(f"/cases/{number}").status_code == 200
    assert globex.get(f"/cases/{number}").status_code == 404
    assert globex.get("/me").json()["role"] == "agent"


@pytest.mark.slow
def test_console_script_migrates_and_serves(tmp_path) -> None:
    """`casedesk migrate` then `casedesk serve`: a real gunicorn answering on loopback."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "CASEDESK_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "casedesk.settings",
           "CASEDESK_SECRET_KEY": "a-key-for-this-test-only-0123456789abcdef"}
    script = Path(sys.executable).with_name("casedesk")
    subprocess.run([script, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen([script, "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for_health(port, tries=100) == b'{"status": "ok"}'
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json") as r:
            assert b'"/api/v1/cases"' in r.read()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/cases")
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(request, timeout=5)
        assert denied.value.code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)

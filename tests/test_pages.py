"""The few pages of this stage: start page, login, admin site, API docs (served locally)."""

import pytest
from django.test import Client

from casedesk.tenancy.models import User
from tests.factories import make_case


def test_login_with_email_and_password(tenant, admin) -> None:
    client = Client()
    response = client.post("/login/", {"username": "admin@acme.test",
                                                "password": "pw-admin-123"})
    assert response.status_code == 302
    home = client.get("/", follow=True)
    assert home.redirect_chain[-1][0] == "/inbox/cases"
    assert b"Acme Support" in home.content


def test_wrong_password_shows_an_error(tenant) -> None:
    response = Client().post("/login/", {"username": "admin@acme.test",
                                                  "password": "wrong"})
    assert response.status_code == 200
    assert b"didn't match" in response.content


@pytest.mark.parametrize("path", [
    "/admin/tenancy/tenant/", "/admin/tenancy/user/", "/admin/tenancy/membership/",
    "/admin/tenancy/apitoken/", "/admin/crm/account/", "/admin/crm/contact/",
    "/admin/crm/deal/", "/admin/routing/queue/", "/admin/cases/case/",
    "/admin/cases/picklistvalue/", "/admin/cases/customfielddefinition/",
])
def test_admin_pages_render(tenant, path) -> None:
    make_case(tenant)
    superuser = User.objects.create_superuser("root@casedesk.test", "pw-root-123")
    client = Client()
    client.force_login(superuser)
    assert client.get(path).status_code == 200


def test_api_docs_use_packaged_assets_not_a_cdn(db) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content
    assert b"/static/ninja/swagger-ui-bundle.js" in response.content


def test_healthz(db) -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}

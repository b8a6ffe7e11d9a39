"""Errors Django answers before any handler runs are JSON `{"detail": ...}` too."""

from django.test import Client


def test_unknown_api_path_is_a_json_404(db) -> None:
    for path in ("/api/v1/nothing", "/api/v1/cases/"):
        response = Client().get(path)
        assert response.status_code == 404
        assert response.json()["detail"].startswith("Not found")


def test_wrong_method_is_a_json_405_with_allow(db) -> None:
    response = Client().delete("/api/v1/cases")
    assert response.status_code == 405
    assert "detail" in response.json()
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_oversized_body_is_a_json_413_and_creates_nothing(tenant, admin_api) -> None:
    from casedesk.cases.models import Case

    response = admin_api.client.post("/api/v1/cases", data="x" * (6 * 1024 * 1024),
                                     content_type="application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert not Case.objects.exists()


def test_unknown_target_status_is_invalid_input(tenant, admin_api) -> None:
    number = admin_api.post("/cases", {"subject": "x"}).json()["number"]
    response = admin_api.post(f"/cases/{number}/transitions", {"to": "flying"})
    assert response.status_code == 422
    assert response.json()["field"] == "to"
    assert "open" in response.json()["detail"]


def test_a_value_the_database_refuses_is_a_422_and_changes_nothing(
        tenant, agent_api, monkeypatch, caplog) -> None:
    from django.db import DataError, transaction

    from casedesk.crm import api as crm_api
    from casedesk.crm.models import Account

    real_create = crm_api.services.account_create

    def too_long(**kwargs):
        with transaction.atomic():
            real_create(**kwargs)
            raise DataError("value too long for type character varying(200)")

    monkeypatch.setattr(crm_api.services, "account_create", too_long)
    response = agent_api.post("/accounts", {"name": "Initech"})

    assert response.status_code == 422
    assert "too long or out of range" in response.json()["detail"]
    assert not Account.objects.exists()
    assert "reached the database unchecked" in caplog.text

"""The triage model in the API: a case's suggestions, the training runs and "train now" for
admins; another tenant's case is not found, agents may not see or start training."""

import pytest

from casedesk.assist.models import TriageModel
from casedesk.tenancy.models import Tenant
from tests.api_checks import conforms, error
from tests.assist.triage_helpers import BILLING, trained
from tests.conftest import NOW, Api
from tests.factories import make_case


def test_without_a_usable_model_a_case_has_no_suggestions(admin_api: Api, tenant: Tenant) -> None:
    case = make_case(tenant, **BILLING)
    response = admin_api.get(f"/cases/{case.display_number}/triage")
    assert response.status_code == 200
    body = conforms(response, "get", "/cases/{number}/triage")
    assert body == {"number": case.display_number, "model_version": None, "suggestions": []}


def test_another_tenants_case_is_not_found(outsider_api: Api, tenant: Tenant) -> None:
    case = make_case(tenant, **BILLING)
    error(outsider_api.get(f"/cases/{case.display_number}/triage"), 404)
    error(outsider_api.get("/cases/CS-999999/triage"), 404)


def test_the_model_runs_and_train_now_are_for_admins(agent_api: Api, manager_api: Api) -> None:
    error(agent_api.get("/assist/models"), 403)
    error(manager_api.post("/assist/models/train"), 403)
    error(agent_api.post("/assist/models/train"), 403)


@pytest.mark.slow
def test_suggestions_come_with_the_model_version_and_retraining_changes_it(
    admin_api: Api, agent_api: Api, tenant: Tenant
) -> None:
    first = trained(tenant)
    case = make_case(tenant, **BILLING)
    response = agent_api.get(f"/cases/{case.display_number}/triage")
    body = conforms(response, "get", "/cases/{number}/triage")
    assert body["model_version"] == first.version
    found = {s["target"]: s for s in body["suggestions"]}
    assert found["category"]["value"] == "Billing"
    assert 0 < found["category"]["confidence"] <= 1
    assert found["category"]["agrees"] is False  # the case was made without a category
    assert found["queue"]["label"] == "Finance"

    runs = conforms(admin_api.get("/assist/models"), "get", "/assist/models")
    assert runs["current_version"] == first.version
    newest = runs["models"][0]
    assert newest["usable"] and newest["trained_on"] > 0 and newest["held_out"] > 0
    category = next(s for s in newest["scores"] if s["target"] == "category")
    assert category["accuracy"] > category["baseline"]

    # The tests' task backend runs the queued task at once: a new version predicts.
    queued = admin_api.post("/assist/models/train")
    assert queued.status_code == 202
    assert conforms(queued, "post", "/assist/models/train") == {
        "queued": True,
        "already_queued": False,
        "trigger": "api",
    }
    newest = TriageModel.objects.filter(tenant=tenant).order_by("-version").first()
    assert newest is not None and newest.version > first.version
    assert newest.trigger == "api"
    again = agent_api.get(f"/cases/{case.display_number}/triage").json()
    assert again["model_version"] == newest.version


def test_an_unusable_run_is_listed_with_its_reason(admin_api: Api, tenant: Tenant) -> None:
    TriageModel.objects.create(
        tenant=tenant,
        version=1,
        trained_at=NOW,
        trigger="schedule",
        trained_on=9,
        held_out=0,
        usable=False,
        reason="Too little history: 9 resolved cases.",
    )
    body = conforms(admin_api.get("/assist/models"), "get", "/assist/models")
    assert body["current_version"] is None
    assert body["models"][0]["reason"] == "Too little history: 9 resolved cases."
    assert body["training_queued"] is False

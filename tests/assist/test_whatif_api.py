"""The what-if API: `POST /sla/policies/whatif` and `POST /routing/rules/whatif`."""

from datetime import timedelta
from typing import Any

import pytest

from casedesk.cases.services import case_add_note, case_transition
from casedesk.routing.models import Queue, RoutingRule
from casedesk.sla.models import SlaPause, SlaPolicy
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Api, Clock
from tests.factories import make_case

pytestmark = pytest.mark.django_db

BILLING_FAST = {
    "name": "Billing fast",
    "first_response_minutes": 60,
    "resolution_minutes": 600,
    "first_response_business": False,
    "resolution_business": False,
    "conditions": [{"field": "category", "op": "equals", "value": "Billing"}],
}


@pytest.fixture
def history(tenant: Tenant, admin: Membership, clock: Clock) -> dict[str, list[str]]:
    """Three Billing cases and two Generals from the last few days, one of each answered
    in half an hour, and one case older than the window."""
    made: dict[str, list[str]] = {"billing": [], "general": [], "answered": []}
    for hours, category in (
        (3, "Billing"),
        (30, "Billing"),
        (50, "Billing"),
        (4, "General"),
        (40, "General"),
    ):
        case = make_case(tenant, now=NOW - timedelta(hours=hours), category=category)
        made[category.lower()].append(case.display_number)
        if hours in (30, 40):
            case_add_note(
                case=case,
                actor=admin.user,
                body="On it.",
                is_public=True,
                now=NOW - timedelta(hours=hours - 0.5),
            )
            made["answered"].append(case.display_number)
    make_case(tenant, now=NOW - timedelta(days=45), category="Billing")
    return made


def _sla(api: Api, **body: Any) -> Any:
    return api.post("/sla/policies/whatif", body)


def test_a_new_tight_policy_would_breach_the_unanswered_billing_cases(
    admin_api: Api, history: dict[str, list[str]]
) -> None:
    response = _sla(admin_api, policy=BILLING_FAST, position=0, days=30)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cases"] == 5
    assert body["matched"] == body["touched"] == 3
    assert body["policy"] == {"id": None, "name": "Billing fast"}
    unanswered = sorted(set(history["billing"]) - set(history["answered"]))
    assert body["first_response"]["proposed"] == 2
    assert sorted(body["first_response"]["became_breached_cases"]) == unanswered
    assert body["first_response"]["proposed_percent"] == pytest.approx(66.7)
    assert [row["priority"] for row in body["by_priority"]] == ["normal"]
    assert not body["capped"]


def test_the_window_follows_days(admin_api: Api, history: dict[str, list[str]]) -> None:
    body = _sla(admin_api, policy=BILLING_FAST, days=1).json()
    assert body["cases"] == 2  # the cases of the last 24 hours
    assert _sla(admin_api, policy=BILLING_FAST, days=90).json()["cases"] == 6


def test_an_existing_policy_with_changes(
    admin_api: Api, tenant: Tenant, history: dict[str, list[str]]
) -> None:
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    response = _sla(
        admin_api,
        policy_id=normal.pk,
        changes={"first_response_minutes": 1, "first_response_business": False},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["policy"] == {"id": normal.pk, "name": "Normal priority"}
    assert body["touched"] == 5
    # Every case: the unanswered ones, and the answered ones after half an hour.
    assert body["first_response"]["proposed"] == 5


def test_nothing_is_saved(admin_api: Api, tenant: Tenant, history: dict[str, list[str]]) -> None:
    policies = list(SlaPolicy.objects.filter(tenant=tenant).values())
    rules = RoutingRule.objects.filter(tenant=tenant).count()
    version = Tenant.objects.get(pk=tenant.pk).sla_version
    assert _sla(admin_api, policy=BILLING_FAST).status_code == 200
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    assert _sla(admin_api, policy_id=normal.pk, changes={"is_enabled": False}).status_code == 200
    assert (
        admin_api.post(
            "/routing/rules/whatif", {"rule": {"name": "x", "actions": {"tags": ["x"]}}}
        ).status_code
        == 200
    )
    assert list(SlaPolicy.objects.filter(tenant=tenant).values()) == policies
    assert RoutingRule.objects.filter(tenant=tenant).count() == rules
    assert Tenant.objects.get(pk=tenant.pk).sla_version == version


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"policy": {**BILLING_FAST, "calendar_id": 999999}},
            "calendar_id",
            "No calendar with id 999999.",
        ),
        (
            {
                "policy": {
                    **BILLING_FAST,
                    "conditions": [{"field": "colour", "op": "equals", "value": "red"}],
                }
            },
            "conditions",
            "condition 1: unknown field",
        ),
        ({"policy": BILLING_FAST, "policy_id": 1}, "policy", "Send either policy"),
        ({}, "policy", "Send either policy"),
    ],
)
def test_an_invalid_proposal_is_refused_as_saving_it_would_be(
    admin_api: Api, clock: Clock, body: dict[str, Any], field: str, message: str
) -> None:
    response = _sla(admin_api, **body)
    assert response.status_code == 422, response.content
    assert message in response.json()["detail"]


def test_bad_days_and_targets_are_422(admin_api: Api, clock: Clock) -> None:
    assert _sla(admin_api, policy=BILLING_FAST, days=0).status_code == 422
    assert _sla(admin_api, policy=BILLING_FAST, days=91).status_code == 422
    assert _sla(admin_api, policy={**BILLING_FAST, "first_response_minutes": 0}).status_code == 422


def test_agents_are_refused_and_managers_may_try(
    agent_api: Api, manager_api: Api, clock: Clock
) -> None:
    assert _sla(agent_api, policy=BILLING_FAST).status_code == 403
    assert agent_api.post("/routing/rules/whatif", {"rules": []}).status_code == 403
    assert _sla(manager_api, policy=BILLING_FAST).status_code == 200


def test_another_tenants_records_are_refused_and_its_cases_stay_out(
    outsider_api: Api, tenant: Tenant, history: dict[str, list[str]]
) -> None:
    """Ids in the body name records of the caller's tenant only (422, as the rules' preview
    answers for `replacing_id`); the window holds the caller's cases only."""
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    refused = _sla(outsider_api, policy_id=normal.pk)
    assert refused.status_code == 422
    assert refused.json()["detail"] == f"No SLA policy with id {normal.pk}."
    calendar = normal.calendar_id
    assert _sla(outsider_api, policy={**BILLING_FAST, "calendar_id": calendar}).status_code == 422
    body = _sla(outsider_api, policy=BILLING_FAST).json()
    assert body["cases"] == 0
    rule = RoutingRule.objects.create(
        tenant=tenant,
        name="r",
        conditions=[],
        actions={"tags": ["x"]},
        created_at=NOW,
        updated_at=NOW,
    )
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    for proposal in (
        {"rule": {"name": "x", "actions": {"tags": ["x"]}}, "rule_id": rule.pk},
        {"rule": {"name": "x", "actions": {"queue_id": engineering.pk}}},
        {"rules": [{"name": "x", "actions": {"owner_id": tenant_admin_id(tenant)}}]},
    ):
        assert outsider_api.post("/routing/rules/whatif", proposal).status_code == 422
    assert outsider_api.post("/routing/rules/whatif", {"rules": []}).json()["cases"] == 0


def tenant_admin_id(tenant: Tenant) -> int:
    return Membership.objects.get(tenant=tenant, user__email="admin@acme.test").user_id


# --- routing ------------------------------------------------------------------------------------


def test_a_rule_sending_general_to_engineering_moves_exactly_the_general_cases(
    admin_api: Api, tenant: Tenant, history: dict[str, list[str]]
) -> None:
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    response = admin_api.post(
        "/routing/rules/whatif",
        {
            "rule": {
                "name": "Generals to Engineering",
                "conditions": [{"field": "category", "op": "equals", "value": "General"}],
                "actions": {"queue_id": engineering.pk},
            },
            "position": 0,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cases"] == 5
    assert body["moved"] == 2
    assert sorted(m["number"] for m in body["moves"]) == sorted(history["general"])
    assert {m["to_queue"] for m in body["moves"]} == {"Engineering"}
    queues = {q["queue"]: (q["before"], q["after"]) for q in body["queues"]}
    assert queues["Engineering"] == (0, 2)
    assert queues["Finance"] == (3, 3)  # Billing went there by the fallback map
    assert queues["Support"] == (2, 0)
    assert body["rules"] == [{"rule": "Generals to Engineering", "cases": 2}]
    assert body["fallback_actual"] == 5 and body["fallback_proposed"] == 3


def test_a_whole_rule_list(admin_api: Api, tenant: Tenant, history: dict[str, list[str]]) -> None:
    support = Queue.objects.get(tenant=tenant, name="Support")
    body = admin_api.post(
        "/routing/rules/whatif",
        {
            "rules": [
                {"name": "Off", "is_enabled": False, "actions": {"queue_id": support.pk}},
                {"name": "All to Support", "actions": {"queue_id": support.pk}},
            ]
        },
    ).json()
    assert body["moved"] == 3  # the Billing cases leave Finance
    assert body["rules"] == [{"rule": "All to Support", "cases": 5}]


def test_an_invalid_rule_is_refused_with_the_save_message(admin_api: Api, clock: Clock) -> None:
    response = admin_api.post(
        "/routing/rules/whatif", {"rule": {"name": "x", "actions": {"queue_id": 999999}}}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "No active queue with id 999999."
    listed = admin_api.post(
        "/routing/rules/whatif",
        {
            "rules": [
                {"name": "ok", "actions": {"tags": ["a"]}},
                {
                    "name": "bad",
                    "conditions": [{"field": "colour", "op": "equals", "value": "x"}],
                    "actions": {"tags": ["a"]},
                },
            ]
        },
    )
    assert listed.status_code == 422
    assert listed.json()["detail"].startswith("Rule 2: condition 1: unknown field")
    assert admin_api.post("/routing/rules/whatif", {}).status_code == 422


def test_a_resolved_case_without_recorded_pauses_stops_its_clock_at_resolution(
    admin_api: Api, admin: Membership, tenant: Tenant, clock: Clock
) -> None:
    created = NOW - timedelta(hours=10)
    case = make_case(tenant, now=created, category="Billing")
    for hours, status in ((0.5, "open"), (0.6, "in_progress"), (1, "resolved")):
        case = case_transition(
            case=case,
            actor=admin.user,
            to=status,
            now=created + timedelta(hours=hours),
            note="Done." if status == "resolved" else "",
        )
    # As imported or bulk-loaded history has it: no pause rows.
    SlaPause.objects.filter(case=case).delete()
    body = _sla(admin_api, policy={**BILLING_FAST, "resolution_minutes": 120}, position=0).json()
    assert body["touched"] == 1
    assert body["resolution"]["proposed"] == 0
    tight = _sla(admin_api, policy={**BILLING_FAST, "resolution_minutes": 30}, position=0)
    assert tight.json()["resolution"]["became_breached_cases"] == [case.display_number]

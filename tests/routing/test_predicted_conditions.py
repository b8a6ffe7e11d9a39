"""Routing rules on what the triage model predicts (`predicted.*`): the condition language
(no database), the rules API, and new cases routed by a model trained on a synthetic
history; the model is asked only when a rule wants its answer."""

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest

from casedesk.assist.synthetic import history_write
from casedesk.assist.training import train
from casedesk.core.errors import Invalid
from casedesk.routing import hooks
from casedesk.routing.models import Queue, RoutingRule
from casedesk.routing.rules import (
    FIELDS,
    RULE_FIELDS,
    Actions,
    CaseFacts,
    Condition,
    RuleSpec,
    compile_condition,
    parse_conditions,
    uses_predictions,
)
from casedesk.routing.services import RuleInput, rule_create, rule_preview, rule_spec_from_input
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Api, login
from tests.factories import make_case
from tests.routing.test_views import form as rule_form

BILLING_RULE = [
    {"field": "predicted.category", "op": "equals", "value": "Billing"},
    {"field": "predicted.category_confidence", "op": "gte", "value": 0.8},
]
PREDICTIONS = {"category": ("Billing", "Billing", 0.91), "queue": ("7", "Finance", 0.55)}


def holds(field: str, op: str, value: Any, predictions: Mapping[str, Any]) -> bool:
    facts = CaseFacts(subject="x", predictions=predictions)
    return compile_condition(Condition(field, op, value))(facts)


# --- the condition language --------------------------------------------------------------------


def test_predicted_fields_compare_the_value_and_the_confidence() -> None:
    assert holds("predicted.category", "equals", "billing", PREDICTIONS)
    assert holds("predicted.category_confidence", "gte", 0.9, PREDICTIONS)
    assert not holds("predicted.category_confidence", "gt", 0.91, PREDICTIONS)
    assert holds("predicted.queue", "equals", "Finance", PREDICTIONS)  # the queue's name
    assert holds("predicted.queue_confidence", "lt", 0.6, PREDICTIONS)


def test_nothing_predicted_matches_no_value_and_no_confidence() -> None:
    assert not holds("predicted.category", "equals", "Billing", {})
    assert not holds("predicted.category_confidence", "lte", 1.0, {})
    assert holds("predicted.type", "is_empty", None, PREDICTIONS)


def test_a_confidence_is_a_number_from_0_to_1_with_an_order_operator() -> None:
    parsed = parse_conditions(BILLING_RULE, RULE_FIELDS)
    assert parsed[1] == Condition("predicted.category_confidence", "gte", 0.8)
    for bad in (1.5, -0.1, "0.8", True, None):
        with pytest.raises(Invalid, match="condition 1"):
            parse_conditions(
                [{"field": "predicted.type_confidence", "op": "gte", "value": bad}], RULE_FIELDS
            )
    with pytest.raises(Invalid, match="takes the operators"):
        parse_conditions(
            [{"field": "predicted.type_confidence", "op": "equals", "value": 0.5}], RULE_FIELDS
        )


def test_only_routing_rules_take_predicted_fields() -> None:
    assert "predicted.category" not in FIELDS  # SLA policies and automations
    with pytest.raises(Invalid, match="unknown field"):
        parse_conditions(BILLING_RULE)


def test_uses_predictions_tells_rules_that_need_the_model() -> None:
    tag = Actions(tags=("x",))
    plain = RuleSpec(
        id=1, name="a", conditions=(Condition("category", "equals", "x"),), actions=tag
    )
    predicting = RuleSpec(
        id=2, name="b", actions=tag, conditions=parse_conditions(BILLING_RULE, RULE_FIELDS)
    )
    assert not uses_predictions([plain])
    assert uses_predictions([plain, predicting])


# --- through the API ----------------------------------------------------------------------------


@pytest.fixture
def counting_predictor() -> Iterator[list[str]]:
    """Replaces the registered predictor by one that counts its calls (and predicts
    Billing for everything), restoring the real one afterwards."""
    saved = list(hooks._predictors)
    calls: list[str] = []

    def predict(tenant: Tenant, facts: CaseFacts) -> dict[str, tuple[str, str, float]]:
        calls.append(facts.subject)
        return {"category": ("Billing", "Billing", 0.95)}

    hooks.register_predictor(predict)
    yield calls
    hooks._predictors[:] = saved


def test_the_rules_api_takes_and_gives_back_predicted_conditions(
    admin_api: Api, finance: Queue
) -> None:
    response = admin_api.post(
        "/routing/rules",
        {
            "name": "Predicted billing",
            "conditions": BILLING_RULE,
            "actions": {"queue_id": finance.pk},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["conditions"] == BILLING_RULE
    refused = admin_api.post(
        "/routing/rules",
        {
            "name": "Too sure",
            "actions": {"queue_id": finance.pk},
            "conditions": [{"field": "predicted.category_confidence", "op": "gte", "value": 2}],
        },
    )
    assert refused.status_code == 422
    assert "0 to 1" in refused.json()["detail"]


def test_creating_a_case_asks_no_model_when_no_rule_tests_a_prediction(
    admin_api: Api, tenant: Tenant, finance: Queue, counting_predictor: list[str]
) -> None:
    rule_create(
        tenant=tenant,
        now=NOW,
        data=RuleInput(
            name="Billing",
            actions={"queue_id": finance.pk},
            conditions=[{"field": "category", "op": "equals", "value": "Billing"}],
        ),
    )
    assert admin_api.post("/cases", {"subject": "Charged twice"}).status_code == 201
    assert counting_predictor == []
    rule_create(
        tenant=tenant,
        now=NOW,
        data=RuleInput(name="Predicted", actions={"queue_id": finance.pk}, conditions=BILLING_RULE),
    )
    created = admin_api.post("/cases", {"subject": "Charged twice again"})
    assert counting_predictor == ["Charged twice again"]
    assert created.json()["queue"]["name"] == "Finance"


@pytest.mark.slow
def test_a_trained_model_routes_a_new_billing_case_to_finance(
    admin_api: Api, tenant: Tenant, finance: Queue
) -> None:
    rule_create(
        tenant=tenant,
        now=NOW,
        data=RuleInput(
            name="Predicted billing to Finance",
            actions={"queue_id": finance.pk},
            conditions=BILLING_RULE,
        ),
    )
    billing = {
        "subject": "Refund request for duplicate charge",
        "description": "We were charged twice, 49 EUR each, on the same day. "
        "Please refund one of them.",
    }
    crash = {
        "subject": "The app crashes when I log in",
        "description": "Since the update the mobile app closes right after login.",
    }

    # No model yet: the rule cannot hold, the case goes where the fallback map says.
    untrained = admin_api.post("/cases", billing)
    assert untrained.status_code == 201, untrained.content
    assert untrained.json()["queue"]["name"] != "Finance"

    history_write(tenant, n=800, seed=18, now=NOW - timedelta(days=1))
    model = train(tenant, now=NOW, trigger="command")
    assert model.usable, model.reason

    routed = admin_api.post("/cases", billing)
    assert routed.json()["queue"]["name"] == "Finance"
    timeline = admin_api.get(f"/cases/{routed.json()['number']}/timeline").json()
    assert any(
        "Predicted billing to Finance" in (e.get("message") or "") for e in timeline["items"]
    )
    assert admin_api.post("/cases", crash).json()["queue"]["name"] != "Finance"


# --- the rule form ------------------------------------------------------------------------------


def test_the_rule_form_offers_predicted_fields_and_saves_a_confidence_as_a_number(
    admin: Membership, finance: Queue
) -> None:
    client = login(admin)
    page = client.get("/routing/rules/new").content.decode()
    assert '<option value="predicted.category">Predicted category</option>' in page
    assert 'datalist id="values-predicted.queue"' in page
    assert 'data-testid="predicted-help"' in page
    response = client.post(
        "/routing/rules/new",
        rule_form(
            "Predicted billing",
            ("predicted.category", "equals", "Billing"),
            ("predicted.category_confidence", "gte", "0.8"),
            queue=str(finance.pk),
        ),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(tenant=admin.tenant)
    assert rule.conditions == BILLING_RULE
    refused = client.post(
        "/routing/rules/new",
        rule_form("Sure", ("predicted.type_confidence", "gte", "high"), queue=str(finance.pk)),
    )
    assert refused.status_code == 422
    assert "0 to 1" in refused.content.decode()
    # SLA policies share the form's language, not the predictions.
    sla_form = client.get("/sla/policies/new")
    assert sla_form.status_code == 200
    assert "predicted.category" not in sla_form.content.decode()


def test_trying_a_rule_on_past_cases_shows_what_was_predicted(
    tenant: Tenant, finance: Queue, counting_predictor: list[str]
) -> None:
    make_case(tenant, subject="Charged twice")
    draft = rule_spec_from_input(
        tenant,
        RuleInput(name="Predicted", actions={"queue_id": finance.pk}, conditions=BILLING_RULE),
    )
    [row] = rule_preview(tenant=tenant, draft=draft)
    assert (row.matched, row.queue, row.predicted) == (True, "Finance", "category Billing 95%")
    plain = rule_spec_from_input(
        tenant, RuleInput(name="Plain", actions={"queue_id": finance.pk}, conditions=[])
    )
    calls = len(counting_predictor)
    [row] = rule_preview(tenant=tenant, draft=plain)
    assert row.predicted == "" and len(counting_predictor) == calls

"""A tenant with a usable triage model, for the triage pages' and API's tests."""

from datetime import timedelta

from casedesk.assist.models import TriageModel
from casedesk.assist.synthetic import history_write
from casedesk.assist.training import train
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW

HISTORY = 600
BILLING = {
    "subject": "Refund request for duplicate charge",
    "description": "We were charged twice, 49 EUR each, on the same day. Please refund "
    "one of them.",
}


def trained(tenant: Tenant) -> TriageModel:
    """Writes a seeded history of resolved cases and trains on it; the model is usable."""
    history_write(tenant, n=HISTORY, seed=18, now=NOW - timedelta(days=1))
    model = train(tenant, now=NOW, trigger="command")
    assert model.usable, model.reason
    return model

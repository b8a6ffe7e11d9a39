from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from casedesk.routing.rules import CaseFacts, Prediction
    from casedesk.tenancy.models import Tenant


def routing_predictions(tenant: Tenant, facts: CaseFacts) -> Mapping[str, Prediction]:
    """`triage_services.routing_predictions`, imported on the first call: the model needs
    scikit-learn, NumPy and SciPy (about a second to import), which a process that never routes
    on a prediction (an MTA pipe's `ingest_email`, most commands) should not pay for."""
    from casedesk.assist.triage_services import routing_predictions as predict

    return predict(tenant, facts)


class AssistConfig(AppConfig):
    name = "casedesk.assist"
    label = "assist"

    def ready(self) -> None:
        from casedesk.assist.similar import cases_mark_dirty
        from casedesk.cases.hooks import on_cases_touched

        # Changed cases are marked for the similar-case index's worker job.
        on_cases_touched(cases_mark_dirty)

        from casedesk.routing.hooks import register_predictor

        # Routing rules may test what the triage model predicts for a new case
        # (`predicted.*`); routing asks only when an enabled rule does.
        register_predictor(routing_predictions)

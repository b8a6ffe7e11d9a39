from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "casedesk.assist"
    label = "assist"

    def ready(self) -> None:
        from casedesk.assist.similar import cases_mark_dirty
        from casedesk.cases.hooks import on_cases_touched

        # Changed cases are marked for the similar-case index's worker job.
        on_cases_touched(cases_mark_dirty)

        from casedesk.assist.triage_services import routing_predictions
        from casedesk.routing.hooks import register_predictor

        # Routing rules may test what the triage model predicts for a new case
        # (`predicted.*`); routing asks only when an enabled rule does.
        register_predictor(routing_predictions)

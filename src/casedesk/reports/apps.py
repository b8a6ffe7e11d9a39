from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "casedesk.reports"
    label = "reports"

    def ready(self) -> None:
        from casedesk.cases.hooks import on_cases_touched
        from casedesk.reports.rollup import facts_mark_stale

        on_cases_touched(facts_mark_stale)

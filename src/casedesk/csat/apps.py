from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "casedesk.csat"
    label = "csat"

    def ready(self) -> None:
        from casedesk.cases.hooks import on_csat_filter, on_csat_read
        from casedesk.csat.selectors import case_csat, cases_with_answer

        on_csat_read(case_csat)
        on_csat_filter(cases_with_answer)

from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "casedesk.csat"
    label = "csat"

    def ready(self) -> None:
        from casedesk.cases.hooks import on_csat_read
        from casedesk.csat.selectors import case_csat

        on_csat_read(case_csat)

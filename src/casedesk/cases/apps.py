from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casedesk.cases"
    label = "cases"

    def ready(self) -> None:
        from casedesk.cases.selectors import latest_cases, open_loads_of
        from casedesk.routing.hooks import register_readers

        register_readers(loads=open_loads_of, recent_cases=latest_cases)

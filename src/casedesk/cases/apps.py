from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casedesk.cases"
    label = "cases"

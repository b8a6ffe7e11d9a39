from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "casedesk.csat"
    label = "csat"

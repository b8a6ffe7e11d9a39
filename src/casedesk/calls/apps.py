from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "casedesk.calls"
    label = "calls"

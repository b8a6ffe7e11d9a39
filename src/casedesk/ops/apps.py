from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "casedesk.ops"
    label = "ops"

from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "casedesk.sla"
    label = "sla"
    verbose_name = "SLA"

from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "casedesk.tenancy"
    label = "tenancy"

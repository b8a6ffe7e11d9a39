from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "casedesk.crm"
    label = "crm"

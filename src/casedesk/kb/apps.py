from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "casedesk.kb"
    label = "kb"

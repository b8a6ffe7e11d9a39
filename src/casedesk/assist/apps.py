from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "casedesk.assist"
    label = "assist"

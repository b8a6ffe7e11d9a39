from django.apps import AppConfig


class SlackConfig(AppConfig):
    name = "casedesk.slack"
    label = "slack"

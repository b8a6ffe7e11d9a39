from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "casedesk.privacy"
    label = "privacy"

from django.apps import AppConfig


class ImporterConfig(AppConfig):
    name = "casedesk.importer"
    label = "importer"

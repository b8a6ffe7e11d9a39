from django.apps import AppConfig


class ExporterConfig(AppConfig):
    name = "casedesk.exporter"
    label = "exporter"

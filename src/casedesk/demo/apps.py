from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "casedesk.demo"
    label = "demo"

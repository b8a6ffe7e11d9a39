from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "casedesk.routing"
    label = "routing"

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "casedesk.search"
    label = "search"

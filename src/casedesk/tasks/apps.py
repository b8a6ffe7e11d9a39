from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "casedesk.tasks"
    label = "tasks"

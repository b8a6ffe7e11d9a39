"""Tasks' pages, mounted at the site root by casedesk.urls (`/tasks` is a contract)."""

from django.urls import URLPattern, URLResolver, path

from casedesk.tasks import views

app_name = "tasks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tasks", views.placeholder, name="list"),
    path("tasks/due-today", views.placeholder, name="due_today"),
    path("cases/<str:number>/tasks", views.placeholder, name="case_panel"),
]

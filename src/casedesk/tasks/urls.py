"""Tasks' pages, mounted at the site root by casedesk.urls (`/tasks` is a contract)."""

from django.urls import URLPattern, URLResolver, path

from casedesk.tasks import views

app_name = "tasks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tasks", views.task_list, name="list"),
    path("tasks/due-today", views.due_today, name="due_today"),
    path("tasks/<int:task_id>/edit", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/done", views.task_done, name="done"),
    path("tasks/<int:task_id>/delete", views.task_delete, name="delete"),
    path("cases/<str:number>/tasks", views.case_panel, name="case_panel"),
    path("cases/<str:number>/tasks/new", views.case_task_add, name="case_add"),
]

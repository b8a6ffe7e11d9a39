from django.urls import URLPattern, path

from casedesk.importer import views

app_name = "importer"

urlpatterns: list[URLPattern] = [
    path("settings/import", views.import_page, name="import"),
    path("settings/import/<int:job_id>", views.job_page, name="job"),
    path("settings/import/<int:job_id>/start", views.job_start_view, name="start"),
    path("settings/import/<int:job_id>/progress", views.job_progress, name="progress"),
]

"""Export pages, mounted at the site root before the console (so `cases/export` is not read
as a case number)."""

from django.urls import URLPattern, path

from casedesk.exporter import views

app_name = "exporter"

urlpatterns: list[URLPattern] = [
    path("cases/export", views.cases_export, name="cases"),
    path("contacts/export", views.contacts_export, name="contacts"),
    path("accounts/export", views.accounts_export, name="accounts"),
    path("settings/export", views.settings_export, name="settings"),
    path("settings/export/<int:job_id>/download", views.export_download, name="download"),
    path("settings/export/<int:job_id>/delete", views.export_remove, name="delete"),
]

"""The survey's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import URLPattern, URLResolver, path

from casedesk.csat import views

app_name = "csat"

urlpatterns: list[URLPattern | URLResolver] = [
    path("surveys/<str:token>", views.survey, name="survey"),
    path("settings/csat", views.settings_page, name="settings"),
]

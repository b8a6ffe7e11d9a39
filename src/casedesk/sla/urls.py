"""The sla app's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import URLPattern

app_name = "sla"

urlpatterns: list[URLPattern] = []

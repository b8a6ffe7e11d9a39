"""Pages of the sla app (mounted at the site root by casedesk.urls; the paths are a contract)."""

from django.urls import URLPattern

app_name = "sla"

urlpatterns: list[URLPattern] = []

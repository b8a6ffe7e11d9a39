"""Pages of the routing app (mounted at the site root by casedesk.urls; the paths are a contract)."""

from django.urls import URLPattern

app_name = "routing"

urlpatterns: list[URLPattern] = []

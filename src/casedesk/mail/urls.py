"""Pages of the mail app (mounted at the site root by casedesk.urls; the paths are a contract)."""

from django.urls import URLPattern

app_name = "mail"

urlpatterns: list[URLPattern] = []

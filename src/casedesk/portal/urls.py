"""The portal's pages, mounted at the site root by casedesk.urls (paths are a contract)."""

from django.urls import URLPattern, URLResolver

from casedesk.portal import webform_views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    *webform_views.urlpatterns,
]

"""The Slack app's pages and Request URLs, mounted at the site root by casedesk.urls."""

from django.urls import URLPattern, URLResolver, path

from casedesk.slack import endpoints, views

app_name = "slack"

urlpatterns: list[URLPattern | URLResolver] = [
    path("slack/<slug:tenant_slug>/commands", endpoints.commands, name="commands"),
    path("slack/<slug:tenant_slug>/interactions", endpoints.interactions, name="interactions"),
    path("slack/<slug:tenant_slug>/events", endpoints.events, name="events"),
    path("settings/slack", views.slack_settings, name="settings"),
]

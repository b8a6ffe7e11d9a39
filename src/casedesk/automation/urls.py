"""Automation's pages, mounted at the site root by casedesk.urls: rules (`/automations`),
webhooks (`/automations/webhooks`), macros (`/settings/macros`, and the case page's macro
menu). Each view module lists its own paths."""

from django.urls import URLPattern, URLResolver

from casedesk.automation.views import macros, rules, webhooks

app_name = "automation"

urlpatterns: list[URLPattern | URLResolver] = [*rules.urls, *webhooks.urls, *macros.urls]

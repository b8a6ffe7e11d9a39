"""Placeholder: the web-to-case form's pages (issue 14)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

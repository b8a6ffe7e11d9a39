"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


urls: list[URLPattern] = []
urls += [path("automations/webhooks", placeholder, name="webhooks")]

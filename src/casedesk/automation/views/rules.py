"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


urls: list[URLPattern] = []
urls += [path("automations", placeholder, name="rules"),
         path("automations/<int:rule_id>", placeholder, name="rule")]

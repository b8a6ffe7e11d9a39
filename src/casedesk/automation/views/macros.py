"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


urls: list[URLPattern] = []
urls += [path("settings/macros", placeholder, name="macros"),
         path("cases/<str:number>/macros", placeholder, name="case_macros")]

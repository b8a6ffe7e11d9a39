"""Placeholder."""
from django.http import HttpRequest, HttpResponse


def analytics(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")

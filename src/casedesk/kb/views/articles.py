"""Placeholder: filled in by the issue-13 work."""
from django.http import HttpRequest, HttpResponse
from django.urls import path


def article_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


urlpatterns = [path("kb/", article_list, name="article_list")]

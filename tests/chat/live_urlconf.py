"""The site's URLs with the live streams for sure: `chat/urls.py` includes
`chat/live_urls.py` (until it does, the live tests still reach the streams here)."""

from django.urls import URLPattern, URLResolver, include, path

from casedesk.chat import live_urls
from casedesk.urls import urlpatterns as site

urlpatterns: list[URLPattern | URLResolver] = [
    *site,
    path("", include((live_urls.urlpatterns, "chat"), namespace="live-tests")),
]

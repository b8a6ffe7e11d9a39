"""The ASGI application `casedesk live` serves: casedesk's own, except that the live streams
under /live/ go straight to their views instead of through the middleware.

Why: Django runs synchronous middleware in a thread of the request's own, and a stream is a
request that lasts minutes, so each open stream would keep an idle thread (and, with a
session cookie, a database connection) for its whole life. The streams need none of the
middleware: they read no session or user (a signed token says who it is), set no cookie,
and answer no HTML. What still applies is done here: the Host header is checked against
ALLOWED_HOSTS, and an error is answered as Django would. Every other path (pages, the API,
static files, /healthz) takes the whole middleware as under `casedesk serve`.
"""

import os
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from casedesk.core.origin import process_via_set

LIVE_PREFIX = "/live/"
LIVE_URLCONF = "casedesk.chat.live_urls"


class LiveHandler(ASGIHandler):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(LIVE_PREFIX):
            # Not in a ThreadSensitiveContext of its own: that would start a thread for this
            # request (for the synchronous `request_started` receivers), kept until the
            # stream ends. Those few synchronous calls share Django's one thread instead.
            await self.handle(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        match = None
        if request.path_info.startswith(LIVE_PREFIX):
            try:
                match = resolve(request.path_info, urlconf=LIVE_URLCONF)
            except Resolver404:
                match = None
        if match is None:
            whole: HttpResponseBase = await super().run_get_response(request)
            return whole
        try:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
            response: HttpResponseBase = await match.func(request, *match.args, **match.kwargs)
        except Exception as error:
            # As Django answers it (400 for a bad Host, 500 logged); its error views are
            # synchronous.
            response = await sync_to_async(response_for_exception)(request, error)
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        return response


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
django.setup(set_prefix=False)
# What the streams write (presence, offers moved on) came in over the web, also in the worker
# processes `--workers` starts, which run no `casedesk` command; the streams' database
# threads inherit no request context, so this process-wide default is what they show.
process_via_set("web")
application = LiveHandler()

"""Keeps the API's promise that every error is JSON `{"detail": ...}`, also for the errors
Django answers before a handler runs (unknown path, wrong method, oversized body) and for the
500 it answers to an unhandled exception (which Django has logged, with its traceback, by the
time the answer passes here)."""

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from casedesk.core.text import NOT_UNICODE, not_unicode

API_PREFIX = "/api/"
# What a multipart body holds besides its file: part headers, boundaries, small fields.
MULTIPART_ROOM = 64 * 1024
_MESSAGES = {
    400: "Bad request.",
    404: "Not found: no such API endpoint.",
    405: "Method not allowed for this endpoint.",
    500: "Internal server error.",
}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.content_type == "multipart/form-data":
            # An upload: its file streams to disk and the endpoint refuses one over the upload
            # limit with its own message; the rest of the form stays small.
            limit = max(limit, settings.CASEDESK_UPLOAD_MAX_BYTES + MULTIPART_ROOM)
        length = request.META.get("CONTENT_LENGTH") or ""
        if limit is not None and length.isdecimal() and int(length) > limit:
            return JsonResponse({"detail": f"The request body is larger than {limit} bytes."},
                                status=413)
        response = self.get_response(request)
        if response.status_code in _MESSAGES and not response.get(
                "Content-Type", "").startswith("application/json"):
            allow = response.get("Allow")
            response = HttpResponse(json.dumps({"detail": _MESSAGES[response.status_code]}),
                                    status=response.status_code,
                                    content_type="application/json")
            if allow:
                response["Allow"] = allow
        return response


class UnicodeRequestMiddleware:
    """Refuses (400) a page request whose query or form parameters decoded to lone surrogates
    (from a charset the request declared, e.g. UTF-7), before any view — the console's, the
    sign-in pages', the admin's — runs: no page could show such text back, and Django's own
    user lookup fails on it. The API refuses it in its schemas (422) instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) and not_unicode(request):
            return HttpResponseBadRequest(NOT_UNICODE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

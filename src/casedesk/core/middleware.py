"""Keeps the API's promise that every error is JSON `{"detail": ...}`, also for the errors
Django answers before a handler runs (unknown path, wrong method, oversized body)."""

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"
_MESSAGES = {
    400: "Bad request.",
    404: "Not found: no such API endpoint.",
    405: "Method not allowed for this endpoint.",
}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
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

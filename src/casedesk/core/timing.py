"""`Server-Timing: app;dur=<ms>` on every response.

Placed first in MIDDLEWARE, so the figure covers every other middleware, the view, its
queries and the serialization: what the application costs, without the network and the HTTP
server in front of it. `make bench` reads it, and browsers' developer tools show it.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

SyncHandler = Callable[[HttpRequest], HttpResponseBase]
AsyncHandler = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


def _stamp(response: HttpResponseBase, started: float) -> HttpResponseBase:
    entry = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    existing = response.get("Server-Timing")
    # Something further in may have added its own metrics: keep them, add ours.
    response["Server-Timing"] = f"{existing}, {entry}" if existing else entry
    return response


class ServerTimingMiddleware:
    """Works under WSGI and ASGI alike, so it never forces a sync/async switch."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        handler: SyncHandler = self.get_response
        return _stamp(handler(request), started)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        handler: AsyncHandler = self.get_response
        return _stamp(await handler(request), started)

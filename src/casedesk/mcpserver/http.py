"""`/mcp`: the MCP server over Streamable HTTP, as a Django view.

Why a view and not the SDK's ASGI app mounted beside Django: casedesk is served by
gunicorn's threaded WSGI worker (`casedesk serve`), by `casedesk run` and by tests' live
servers, and a view runs unchanged under all of them, behind the same middleware (hosts,
security headers, request size, timing). The SDK's transport runs in *stateless* mode with
JSON responses: every POST is answered whole, and no session lives in a process's memory,
so any web node can answer any request (DESIGN.md, "Scaling out"). The view checks the
bearer token first (401 JSON otherwise), then hands the request to the SDK's
`StreamableHTTPSessionManager` through a small ASGI bridge run by asgiref's
`async_to_sync`; the tools' database work comes back to this request's thread
(`sync_to_async(thread_sensitive=True)`), on its connection and transaction.

The SDK (and the server built on it) is imported on the first MCP request, not when the URLs
load: it costs about 0.4 s to import, which every process that loads the URLs (the system
checks of every command, each web worker) would pay for an endpoint most never serve.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from casedesk.core.origin import origin
from casedesk.core.throttle import TooManyFailures
from casedesk.mcpserver.caller import Caller, calling_as
from casedesk.tenancy.api_auth import bearer_token_check

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

UNAUTHENTICATED = "Send an API token: Authorization: Bearer <token>."
BAD_TOKEN = "The API token is not valid (unknown, revoked, or its member is inactive)."

# Building the server costs tens of milliseconds (tool schemas); each web thread keeps one
# (taken in the view's own thread: asgiref runs each exchange's event loop in a new one),
# since the SDK's objects are not promised to be shared across threads' event loops.
_servers = threading.local()


def _server() -> MCPServer:
    server: MCPServer | None = getattr(_servers, "server", None)
    if server is None:
        from casedesk.mcpserver.server import build_server

        server = _servers.server = build_server()
    return server


def _refusal(status: int, detail: str) -> HttpResponse:
    response = JsonResponse({"detail": detail}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="casedesk"'
    return response


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


@csrf_exempt
def endpoint(request: HttpRequest) -> HttpResponse:
    secret = _bearer(request)
    if secret is None:
        return _refusal(401, UNAUTHENTICATED)
    try:
        token = bearer_token_check(request, secret)
    except TooManyFailures as error:
        response = _refusal(429, error.detail)
        response["Retry-After"] = str(error.retry_after)
        return response
    if token is None:
        return _refusal(401, BAD_TOKEN)
    membership = token.membership
    with (
        origin("mcp", user_id=membership.user_id, user_label=membership.user.email),
        calling_as(Caller(token=token)),
    ):
        status, headers, body = async_to_sync(_exchange)(_server(), _scope(request), request.body)
    response = HttpResponse(body, status=status)
    for name, value in headers:
        if name.lower() not in ("content-length", "transfer-encoding", "connection"):
            response[name] = value
    return response


def _scope(request: HttpRequest) -> dict[str, Any]:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
        for name, value in request.headers.items()
    ]
    server_port = int(request.get_port() or 80)
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method or "GET",
        "scheme": request.scheme or "http",
        "path": request.path,
        "raw_path": request.path.encode("utf-8"),
        "root_path": "",
        "query_string": request.META.get("QUERY_STRING", "").encode(),
        "headers": headers,
        "server": (request.get_host().rsplit(":", 1)[0], server_port),
        "client": (request.META.get("REMOTE_ADDR", ""), 0),
    }


async def _exchange(
    server: MCPServer, scope: dict[str, Any], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One HTTP exchange with the SDK's stateless transport: the request's body in, the
    whole answer (JSON mode: never a stream) out."""
    import anyio
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    manager = StreamableHTTPSessionManager(
        app=server._lowlevel_server,  # noqa: SLF001
        stateless=True,
        json_response=True,
    )
    sent = False
    answered = anyio.Event()
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            # The client is there until the answer is complete: the transport watches for a
            # disconnect to cancel the work, so one may only be told after the answer.
            await answered.wait()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.extend(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    async with manager.run():
        await manager.handle_request(scope, receive, send)  # type: ignore[arg-type]
    return status, headers, b"".join(chunks)

"""The MCP server at /mcp over Streamable HTTP, driven by the SDK's own client against a live
server (pytest-django's, the threaded WSGI server: as gunicorn's threaded worker serves it)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from tests.mcpserver.scenario import ClientFor, agent_session_checked

pytestmark = pytest.mark.django_db(transaction=True)


def http_client_for(url: str, mode: str) -> ClientFor:
    @asynccontextmanager
    async def connect(token: str) -> AsyncIterator[Client]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
        transport = streamable_http_client(url, http_client=http)
        async with http, Client(transport, mode=mode) as client:
            yield client

    return connect


# "auto" speaks the current protocol (2026-07-28, one self-contained POST per request);
# "legacy" the initialize handshake of 2025 clients. Both are stateless here.
@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_an_agent_works_a_case_over_http(
    live_server: Any, agent: Membership, support_queue: Queue, outsider: Membership, mode: str
) -> None:
    case = agent_session_checked(
        http_client_for(f"{live_server.url}/mcp", mode),
        agent=agent,
        queue=support_queue,
        outsider=outsider,
        token_name="Claude desktop",
    )
    assert case.owner_id == agent.user_id and case.status == "in_progress"


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic Zm9vOmJhcg=="])
def test_a_missing_or_bad_token_is_a_401(live_server: Any, header: str | None) -> None:
    headers = {"Accept": "application/json, text/event-stream"}
    if header is not None:
        headers["Authorization"] = header
    response = httpx.post(
        f"{live_server.url}/mcp",
        headers=headers,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}

"""`casedesk mcp` on stdio, spawned as a real subprocess and driven by the MCP SDK's own
client, against the test database (committed rows: the server is another process)."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from django.db import connection
from mcp import Client, StdioServerParameters

from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.services import token_create
from tests.mcpserver.scenario import ClientFor, agent_session_checked

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CASEDESK = str(Path(sys.executable).with_name("casedesk"))


def database_url() -> str:
    """The test database, as `DATABASE_URL` names it for the `casedesk` command."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CASEDESK_", "DJANGO_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="casedesk.settings",
        DATABASE_URL=database_url(),
        CASEDESK_SECRET_KEY="mcp-stdio-test-key-" + "x" * 40,
        **extra,
    )
    return env


def stdio_client_for() -> ClientFor:
    @asynccontextmanager
    async def connect(token: str) -> AsyncIterator[Client]:
        params = StdioServerParameters(
            command=CASEDESK, args=["mcp"], env=server_env(CASEDESK_API_TOKEN=token)
        )
        async with Client(params, read_timeout_seconds=60) as client:
            yield client

    return connect


def test_an_agent_works_a_case_over_stdio(
    agent: Membership, support_queue: Queue, outsider: Membership
) -> None:
    case = agent_session_checked(
        stdio_client_for(),
        agent=agent,
        queue=support_queue,
        outsider=outsider,
        token_name="Claude stdio",
    )
    assert case.owner_id == agent.user_id and case.status == "in_progress"


def run_mcp(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASEDESK, "mcp", *args],
        env=server_env(**env),
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_a_token_it_refuses_to_start(db: Any) -> None:
    done = run_mcp()
    assert done.returncode == 64
    assert "No API token: set CASEDESK_API_TOKEN or pass --token-file PATH" in done.stderr
    assert done.stdout == ""


def test_with_a_bad_or_revoked_token_it_refuses_to_start(agent: Membership, tmp_path: Path) -> None:
    done = run_mcp(CASEDESK_API_TOKEN="cd_not-a-real-token")
    assert done.returncode == 77
    assert "The API token is not valid" in done.stderr and done.stdout == ""
    revoked = token_create(membership=agent, name="old")
    revoked.token.revoked_at = revoked.token.created_at
    revoked.token.save(update_fields=["revoked_at"])
    token_file = tmp_path / "token"
    token_file.write_text(revoked.secret + "\n")
    done = run_mcp("--token-file", str(token_file))
    assert done.returncode == 77 and "The API token is not valid" in done.stderr


def test_a_token_file_is_read(agent: Membership, tmp_path: Path) -> None:
    missing = run_mcp("--token-file", str(tmp_path / "absent"))
    assert missing.returncode == 64 and "Cannot read the token file" in missing.stderr
    token_file = tmp_path / "token"
    token_file.write_text(token_create(membership=agent, name="file").secret + "\n")

    async def tools() -> set[str]:
        params = StdioServerParameters(
            command=CASEDESK, args=["mcp", "--token-file", str(token_file)], env=server_env()
        )
        async with Client(params, read_timeout_seconds=60) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    assert "create_case" in anyio.run(tools)

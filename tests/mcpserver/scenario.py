"""The checks the issue names, driven by the MCP SDK's own client over any transport: tools
listed, a case created and moved through the lifecycle, a refused move naming the allowed
ones, another tenant's case invisible, a read-only token refused a write, and the timeline
saying "via MCP" with the token's name."""

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
from mcp import Client
from mcp.types import CallToolResult, TextContent

from casedesk.cases.models import Case
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, TokenEvent
from casedesk.tenancy.services import token_create
from tests.factories import make_case

TOOLS = {
    "search_cases",
    "search_kb",
    "get_case",
    "create_case",
    "add_note",
    "reply",
    "transition",
    "claim",
    "my_inbox",
}
WRITE_TOOLS = {"create_case", "add_note", "reply", "transition", "claim"}

ClientFor = Callable[[str], AbstractAsyncContextManager[Client]]


def text_of(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


async def ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def refused(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result
    return text_of(result)


async def agent_works_a_case(
    client_for: ClientFor,
    *,
    token: str,
    token_name: str,
    read_only_token: str,
    foreign_number: str,
    queue_id: int,
) -> str:
    """Runs the whole check; returns the number of the case the agent made."""
    async with client_for(token) as client:
        listed = await client.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        hints = {
            tool.name: tool.annotations.read_only_hint
            for tool in listed.tools
            if tool.annotations is not None
        }
        assert {name for name, read_only in hints.items() if not read_only} == WRITE_TOOLS
        templates = await client.list_resource_templates()
        assert {t.uri_template for t in templates.resource_templates} == {
            "casedesk://cases/{number}",
            "casedesk://kb/articles/{article_id}",
        }

        made = await ok(
            client,
            "create_case",
            {
                "subject": "Invoice PDF will not open",
                "description": "Acrobat says damaged.",
                "priority": "high",
                "tags": ["billing"],
                "queue_id": queue_id,
            },
        )
        number = made["number"]
        assert made["status"] == "new" and made["priority"] == "high"
        assert made["allowed_transitions"] == ["open"]

        assert (await ok(client, "transition", {"number": number, "to": "open"}))[
            "status"
        ] == "open"
        moved = await ok(client, "transition", {"number": number, "to": "in_progress"})
        assert moved["status"] == "in_progress"
        refusal = await refused(client, "transition", {"number": number, "to": "new"})
        assert "pending_customer" in refusal and "resolved" in refusal, refusal

        await ok(client, "claim", {"number": number})
        note = await ok(client, "add_note", {"number": number, "body": "Checked the PDF."})
        assert note["public"] is False

        read = await ok(client, "get_case", {"number": number})
        assert read["status"] == "in_progress"
        kinds = [event["kind"] for event in read["history"]]
        assert "created" in kinds and "note_added" in kinds and "claimed" in kinds
        assert {event["via"] for event in read["history"] if event["kind"] != "routed"} == {
            f"MCP · {token_name}"
        }
        inbox = await ok(client, "my_inbox", {})
        assert number in [case["number"] for case in inbox["cases"]]

        resource = await client.read_resource(f"casedesk://cases/{number}")
        assert json.loads(resource.contents[0].text)["number"] == number  # type: ignore[union-attr]

        # Another tenant's case does not exist for this token.
        missing = await refused(client, "get_case", {"number": foreign_number})
        assert missing == f"No case {foreign_number} in this tenant."
        found = await ok(client, "search_cases", {"query": foreign_number})
        assert found["cases"] == [] and found["jump"] is None
        found = await ok(client, "search_cases", {"query": "Globex secret subject"})
        assert found["cases"] == []

    async with client_for(read_only_token) as reader:
        # Reads work; every write is refused and changes nothing.
        assert (await ok(reader, "get_case", {"number": number}))["number"] == number
        refusal = await refused(reader, "create_case", {"subject": "Should not exist"})
        assert refusal == "This token is read-only: create_case changes data, so it is refused."
        refusal = await refused(reader, "add_note", {"number": number, "body": "nope"})
        assert "read-only" in refusal
    return number


def check_what_was_written(number: str, *, tenant_id: int, token_name: str) -> None:
    """After the agent's session: the refused writes left nothing, and the events the agent
    wrote carry the token's mark."""
    assert not Case.objects.filter(subject="Should not exist").exists()
    case = Case.objects.get(tenant_id=tenant_id, number=int(number.split("-")[1]))
    assert case.notes.filter(body="nope").count() == 0
    marks = TokenEvent.objects.filter(tenant_id=tenant_id, via="mcp", token_name=token_name)
    assert set(marks.values_list("event_id", flat=True)) == set(
        case.timeline.exclude(kind="routed").values_list("pk", flat=True)
    )


def agent_session_checked(
    client_for: ClientFor, *, agent: Membership, queue: Queue, outsider: Membership, token_name: str
) -> Case:
    """`agent_works_a_case` with fresh tokens of `agent` (one read-only) and a case of the
    other tenant to look for, then `check_what_was_written`; the agent's case."""
    token = token_create(membership=agent, name=token_name).secret
    reader = token_create(membership=agent, name="reader", read_only=True).secret
    # Numbers are per tenant: the other tenant's fifth case has no namesake in this one.
    foreign = [make_case(outsider.tenant, subject="Globex secret subject") for _ in range(5)][-1]
    number = anyio.run(
        lambda: agent_works_a_case(
            client_for,
            token=token,
            token_name=token_name,
            read_only_token=reader,
            foreign_number=foreign.display_number,
            queue_id=queue.pk,
        )
    )
    check_what_was_written(number, tenant_id=agent.tenant_id, token_name=token_name)
    # Nothing was written on the other tenant's case.
    assert not foreign.timeline.exclude(kind__in=["created", "routed"]).exists()
    return Case.objects.get(tenant_id=agent.tenant_id, number=int(number.split("-")[1]))

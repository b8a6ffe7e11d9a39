"""The MCP server: casedesk's tools and resources for AI agents, on the official MCP SDK.

Each tool is a thin async wrapper: it takes the caller (`caller.py`), refuses a write to a
read-only token, and runs the tool's function (`tools.py`) through asgiref's
`sync_to_async(thread_sensitive=True)`, so the database work runs where Django wants it (the
request's own thread under the web server, one thread for a stdio session) with the origin
set to `mcp`: the audit log and the timeline then say "via MCP" and name the token.

Write tools are listed for every token (a client learns what the server can do) and refused
on call for a read-only one, with a message saying so; their annotations say which they are.
"""

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from casedesk.core.errors import DomainError, NotFound
from casedesk.core.origin import origin
from casedesk.mcpserver import tools
from casedesk.mcpserver.caller import Caller, current_caller, live_caller, refuse_if_read_only
from casedesk.tenancy.models import Membership

INSTRUCTIONS = (
    "casedesk is a service desk. Cases are numbered like CS-1042. Search before creating a "
    "case; read a case (get_case) before replying. Internal notes (add_note) are seen only by "
    "agents; a reply is mailed to the customer. Status moves follow the lifecycle "
    "new → open → in_progress → pending_customer → resolved → closed; a refused move names "
    "the allowed ones. Everything you do is on the case's timeline, marked as done via MCP "
    "with your token's name."
)

READS = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
WRITES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
# A public reply leaves the desk: it is mailed to the customer.
MAILS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)

Number = Annotated[
    str,
    Field(
        min_length=1, max_length=40, description="The case number as shown, e.g. CS-1042 (or 1042)."
    ),
]
Limit = Annotated[int, Field(ge=1, le=tools.MAX_LIMIT, description="How many at most.")]
Status = Literal["new", "open", "in_progress", "pending_customer", "resolved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
# Every tool answers a JSON object (its output schema); the SDK passes a CallToolResult
# through as built, so a refusal keeps its exact words.
Answer = Annotated[CallToolResult, dict[str, Any]]


def _run_sync(caller: Caller, work: Callable[[Membership], dict[str, Any]]) -> dict[str, Any]:
    """The tool's database work, in Django's thread for it, as coming in by MCP."""
    if caller.secret:
        # A long-lived stdio session: drop a connection the database closed meanwhile.
        close_old_connections()
    caller = live_caller(caller)
    membership = caller.membership
    with origin("mcp", user_id=membership.user_id, user_label=membership.user.email):
        return work(membership)


def _refusal(detail: str) -> CallToolResult:
    """A tool error carrying the refusal's own words (as the REST API's `detail`): raising
    ToolError instead would have the SDK prefix them."""
    return CallToolResult(content=[TextContent(type="text", text=detail)], is_error=True)


async def _call(
    tool: str, work: Callable[[Membership], dict[str, Any]], *, writes: bool = False
) -> CallToolResult:
    """Runs a tool's work for the current caller: its answer as structured content and the
    same JSON as text, or a refusal as a tool error."""
    caller = current_caller()
    if caller is None:
        return _refusal("Not authenticated: no API token.")
    try:
        if writes:
            refuse_if_read_only(caller, tool)
        found = await sync_to_async(_run_sync, thread_sensitive=True)(caller, work)
    except DomainError as error:
        return _refusal(error.detail)
    text = _json(found)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=json.loads(text)
    )


async def _read(work: Callable[[Membership], dict[str, Any]]) -> str:
    caller = current_caller()
    if caller is None:
        raise ResourceError("Not authenticated: no API token.")
    try:
        found = await sync_to_async(_run_sync, thread_sensitive=True)(caller, work)
    except NotFound as error:
        raise ResourceNotFoundError(error.detail) from None
    except DomainError as error:
        raise ResourceError(error.detail) from None
    return _json(found)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


def build_server() -> MCPServer:
    """A new server with casedesk's tools and resources (it holds no caller: that comes with
    each request or session)."""
    server: MCPServer = MCPServer(
        "casedesk", title="casedesk service desk", instructions=INSTRUCTIONS, version="1"
    )

    @server.tool(annotations=READS)
    async def search_cases(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=500,
                description=(
                    'Words, "quoted phrases", -excluded words and operators as in the '
                    "console's search box: status:open, owner:me, queue:Support, type:Bug, "
                    "from:jo@example.com, CS-1042."
                ),
            ),
        ],
        limit: Limit = 20,
    ) -> Answer:
        """Search the cases you can see (subjects, descriptions, notes and mail), best first,
        with a snippet each."""
        return await _call(
            "search_cases", lambda m: tools.search_cases(m, query=query, limit=limit)
        )

    @server.tool(annotations=READS)
    async def search_kb(
        query: Annotated[
            str,
            Field(min_length=1, max_length=200, description="Words to look for in the articles."),
        ],
        limit: Limit = 10,
    ) -> Answer:
        """Search the knowledge base's articles, best match first. Read one with the
        resource casedesk://kb/articles/{id}."""
        return await _call("search_kb", lambda m: tools.search_kb(m, query=query, limit=limit))

    @server.tool(annotations=READS)
    async def get_case(
        number: Number,
        history: Annotated[
            int,
            Field(
                ge=1,
                le=tools.MAX_HISTORY,
                description=("How many timeline events at most, oldest first."),
            ),
        ] = tools.MAX_HISTORY,
    ) -> Answer:
        """Read a case: its fields, SLA clocks, allowed status moves and its history (the
        customer's mail, public replies, internal notes and every change)."""
        return await _call("get_case", lambda m: tools.get_case(m, number=number, history=history))

    @server.tool(annotations=WRITES)
    async def create_case(
        subject: Annotated[str, Field(min_length=1, max_length=255)],
        description: Annotated[str, Field(max_length=100_000)] = "",
        priority: PriorityName = "normal",
        type: Annotated[
            str,
            Field(
                max_length=100, description=("A type of the tenant's picklist, e.g. Question, Bug.")
            ),
        ] = "",
        category: Annotated[str, Field(max_length=100)] = "",
        subcategory: Annotated[str, Field(max_length=100)] = "",
        contact_id: Annotated[
            int | None, Field(ge=1, description=("The customer's contact id."))
        ] = None,
        account_id: Annotated[int | None, Field(ge=1)] = None,
        queue_id: Annotated[
            int | None, Field(ge=1, description=("Leave empty to let the routing rules choose."))
        ] = None,
        tags: Annotated[list[str] | None, Field(max_length=20)] = None,
    ) -> Answer:
        """Create a case, as the REST API does: routed by the tenant's rules, with SLA
        clocks; the result is the new case (its number, queue, owner, status)."""
        fields = {
            "subject": subject,
            "description": description,
            "priority": priority,
            "type": type,
            "category": category,
            "subcategory": subcategory,
            "contact_id": contact_id,
            "account_id": account_id,
            "queue_id": queue_id,
            "tags": tags,
        }
        return await _call("create_case", lambda m: tools.create_case(m, **fields), writes=True)

    @server.tool(annotations=WRITES)
    async def add_note(
        number: Number,
        body: Annotated[str, Field(min_length=1, max_length=200_000)],
    ) -> Answer:
        """Add an internal note to a case: seen by agents only, never mailed."""
        return await _call(
            "add_note",
            lambda m: tools.add_note(m, number=number, body=body, public=False),
            writes=True,
        )

    @server.tool(annotations=MAILS)
    async def reply(
        number: Number,
        body: Annotated[str, Field(min_length=1, max_length=200_000)],
    ) -> Answer:
        """Reply to the customer: a public reply, mailed to the case's contact like any
        agent's reply (the result's `mail` tells to whom)."""
        return await _call(
            "reply", lambda m: tools.add_note(m, number=number, body=body, public=True), writes=True
        )

    @server.tool(annotations=WRITES)
    async def transition(
        number: Number,
        to: Status,
        note: Annotated[
            str,
            Field(max_length=100_000, description=("Needed to resolve or close: what was done.")),
        ] = "",
        closed_reason: Annotated[
            str,
            Field(
                max_length=100,
                description=(
                    "Needed to close, e.g. Resolved, Duplicate, Customer unresponsive, Won't fix, "
                    "Other."
                ),
            ),
        ] = "",
    ) -> Answer:
        """Move a case through the lifecycle. A move the lifecycle forbids is refused with
        the allowed moves named."""
        return await _call(
            "transition",
            lambda m: tools.transition(
                m, number=number, to=to, note=note, closed_reason=closed_reason
            ),
            writes=True,
        )

    @server.tool(annotations=WRITES)
    async def claim(number: Number) -> Answer:
        """Take an unassigned case: you become its owner. If someone else has it, the
        refusal says who."""
        return await _call("claim", lambda m: tools.claim(m, number=number), writes=True)

    @server.tool(annotations=READS)
    async def my_inbox(limit: Limit = 20) -> Answer:
        """Your open cases and the unassigned open cases of your queues, in the order to
        work them (urgent and high first, then oldest), with how many wait per queue."""
        return await _call("my_inbox", lambda m: tools.my_inbox(m, limit=limit))

    @server.resource(
        "casedesk://cases/{number}",
        name="case",
        mime_type="application/json",
        description="A case with its history, as get_case reads it.",
    )
    async def case_resource(number: str) -> str:
        return await _read(lambda m: tools.get_case(m, number=number))

    @server.resource(
        "casedesk://kb/articles/{article_id}",
        name="article",
        mime_type="application/json",
        description="A knowledge-base article with its Markdown body.",
    )
    async def article_resource(article_id: str) -> str:
        if not (article_id.isascii() and article_id.isdecimal() and 0 < int(article_id) < 2**63):
            raise ResourceNotFoundError(f"No article with id {article_id}.")
        return await _read(lambda m: tools.article(m, int(article_id)))

    return server

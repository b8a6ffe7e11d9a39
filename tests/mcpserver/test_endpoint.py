"""`/mcp` answered in-process (Django's test client speaking JSON-RPC): the view, its token
check and the SDK's stateless transport, on the test's own database transaction."""

import json
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Case
from casedesk.kb.services import article_create, article_publish
from casedesk.mcpserver import http
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, TokenEvent
from casedesk.tenancy.services import token_create
from tests.conftest import NOW, login
from tests.factories import make_case

ACCEPT = "application/json, text/event-stream"


class Rpc:
    """One token's JSON-RPC calls to /mcp."""

    def __init__(self, token: str) -> None:
        self.client = Client(headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT})
        self.ids = 0

    def send(self, method: str, params: dict[str, Any]) -> Any:
        self.ids += 1
        return self.client.post(
            "/mcp",
            data=json.dumps({"jsonrpc": "2.0", "id": self.ids, "method": method, "params": params}),
            content_type="application/json",
        )

    def result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.send(method, params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "result" in body, body
        return body["result"]  # type: ignore[no-any-return]

    def tool(self, name: str, **arguments: Any) -> dict[str, Any]:
        return self.result("tools/call", {"name": name, "arguments": arguments})


@pytest.fixture
def rpc(agent: Membership, support_queue: Queue) -> Rpc:
    return Rpc(token_create(membership=agent, name="Agent Smith").secret)


def test_tools_are_listed_with_their_input_schemas(rpc: Rpc) -> None:
    tools = {tool["name"]: tool for tool in rpc.result("tools/list", {})["tools"]}
    transition = tools["transition"]["inputSchema"]
    assert transition["required"] == ["number", "to"]
    assert transition["properties"]["to"]["enum"] == [
        "new",
        "open",
        "in_progress",
        "pending_customer",
        "resolved",
        "closed",
    ]
    assert tools["create_case"]["annotations"]["readOnlyHint"] is False
    assert tools["search_kb"]["annotations"]["readOnlyHint"] is True


def test_a_refused_move_names_the_allowed_moves_as_the_api_does(
    rpc: Rpc, agent: Membership, agent_api: Any
) -> None:
    case = make_case(agent.tenant, subject="Printer on fire")
    answer = rpc.tool("transition", number=case.display_number, to="resolved", note="done")
    rest = agent_api.post(
        f"/cases/{case.display_number}/transitions", {"to": "resolved", "note": "done"}
    )
    assert rest.status_code == 409
    assert answer["isError"] is True
    assert answer["content"][0]["text"] == rest.json()["detail"]
    assert "open" in answer["content"][0]["text"]


def test_bad_input_is_refused_and_changes_nothing(rpc: Rpc, agent: Membership) -> None:
    answer = rpc.tool("create_case", subject="   ")
    assert answer["isError"] is True and "subject" in answer["content"][0]["text"]
    answer = rpc.tool("create_case", subject="Ok", priority="sky-high")
    assert answer["isError"] is True
    assert not Case.objects.filter(tenant=agent.tenant).exists()


def test_a_reply_is_mailed_and_a_note_is_not(rpc: Rpc, agent: Membership) -> None:
    from tests.factories import ContactFactory

    contact = ContactFactory(tenant=agent.tenant, email="jo@customer.test")
    case = make_case(agent.tenant, subject="Where is my invoice?", contact_id=contact.pk)
    reply = rpc.tool("reply", number=case.display_number, body="It is attached.")
    assert reply["isError"] is False
    assert reply["structuredContent"]["public"] is True
    assert reply["structuredContent"]["mail"]["to"] == ["jo@customer.test"]
    note = rpc.tool("add_note", number=case.display_number, body="Customer is VIP.")
    assert note["structuredContent"]["public"] is False
    assert note["structuredContent"]["mail"] is None


def test_kb_search_and_the_article_resource(rpc: Rpc, agent: Membership, other_tenant) -> None:
    article = article_publish(
        article=article_create(
            tenant=agent.tenant,
            author=None,
            title="Resetting your password",
            body="Open **Settings** and choose Reset.",
            now=NOW,
        ),
        actor=None,
        now=NOW,
    )
    foreign = article_publish(
        article=article_create(
            tenant=other_tenant,
            author=None,
            title="Resetting your password",
            body="Globex",
            now=NOW,
        ),
        actor=None,
        now=NOW,
    )
    found = rpc.tool("search_kb", query="password reset")["structuredContent"]
    assert [a["id"] for a in found["articles"]] == [article.pk]
    assert found["articles"][0]["uri"] == f"casedesk://kb/articles/{article.pk}"
    read = rpc.result("resources/read", {"uri": f"casedesk://kb/articles/{article.pk}"})
    assert json.loads(read["contents"][0]["text"])["body"] == "Open **Settings** and choose Reset."
    refused = rpc.send("resources/read", {"uri": f"casedesk://kb/articles/{foreign.pk}"}).json()
    assert refused["error"]["message"] == f"No article with id {foreign.pk}."


def test_my_inbox_lists_my_queue_cases(rpc: Rpc, agent: Membership, support_queue: Queue) -> None:
    case = make_case(agent.tenant, subject="Waiting in Support", queue_id=support_queue.pk)
    inbox = rpc.tool("my_inbox")["structuredContent"]
    assert case.display_number in [c["number"] for c in inbox["cases"]]
    assert {"id": support_queue.pk, "name": "Support", "waiting": 1} in inbox["queues"]


def test_the_timeline_says_via_mcp_and_the_token_name(
    rpc: Rpc, agent: Membership, agent_api: Any
) -> None:
    made = rpc.tool("create_case", subject="Made by an agent")["structuredContent"]
    number = made["number"]
    agent_api.post(f"/cases/{number}/notes", {"body": "By hand, through the REST API."})
    events = agent_api.get(f"/cases/{number}/timeline").json()["items"]
    vias = {event["kind"]: event["via"] for event in events}
    assert vias["created"] == "MCP · Agent Smith"
    assert vias["note_added"] == ""
    page = login(agent).get(f"/cases/{number}")
    assert page.status_code == 200
    assert "via MCP · Agent Smith" in page.content.decode()
    # The audit log and the origin say mcp too: the marks are per event, in its transaction.
    assert TokenEvent.objects.filter(via="mcp", token_name="Agent Smith").count() >= 1


def test_a_read_only_token_may_read_but_not_write(agent: Membership) -> None:
    reader = Rpc(token_create(membership=agent, name="reader", read_only=True).secret)
    case = make_case(agent.tenant, subject="Look but do not touch")
    assert reader.tool("get_case", number=case.display_number)["isError"] is False
    for tool, arguments in [
        ("create_case", {"subject": "No"}),
        ("add_note", {"number": case.display_number, "body": "No"}),
        ("reply", {"number": case.display_number, "body": "No"}),
        ("transition", {"number": case.display_number, "to": "open"}),
        ("claim", {"number": case.display_number}),
    ]:
        answer = reader.tool(tool, **arguments)
        assert answer["isError"] is True
        assert answer["content"][0]["text"] == (
            f"This token is read-only: {tool} changes data, so it is refused."
        )
    case.refresh_from_db()
    assert case.status == "new" and case.owner_id is None
    assert case.timeline.count() == 1 + case.timeline.exclude(kind="created").count()
    assert not case.notes.exists()


def test_a_revoked_token_stops_at_once(agent: Membership) -> None:
    issued = token_create(membership=agent, name="soon gone")
    rpc = Rpc(issued.secret)
    assert rpc.send("tools/list", {}).status_code == 200
    issued.token.revoked_at = NOW
    issued.token.save(update_fields=["revoked_at"])
    refused = rpc.send("tools/list", {})
    assert refused.status_code == 401 and set(refused.json()) == {"detail"}


def test_each_web_thread_builds_the_server_once(rpc: Rpc) -> None:
    # asgiref runs each exchange's event loop in a new thread: the server must be kept by
    # the request's own thread, or every request pays for building the tools' schemas.
    rpc.result("tools/list", {})
    first = http._servers.server
    rpc.result("tools/list", {})
    assert http._servers.server is first

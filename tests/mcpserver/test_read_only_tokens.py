"""Read-only API tokens: made by the CLI or the API, refused every write by the REST API."""

from io import StringIO
from typing import Any

from django.core.management import call_command

from casedesk.tenancy.models import ApiToken, Membership
from casedesk.tenancy.services import token_authenticate, token_create
from tests.conftest import NOW, Api

REFUSAL = {"detail": "This token is read-only."}


def test_the_rest_api_refuses_every_write_of_a_read_only_token(
    agent: Membership, new_case: Any
) -> None:
    number = new_case()["number"]
    api = Api(token_create(membership=agent, name="reader", read_only=True).secret)
    assert api.get(f"/cases/{number}").status_code == 200
    assert api.get("/inbox/cases").status_code == 200
    for response in [
        api.post("/cases", {"subject": "No"}),
        api.patch(f"/cases/{number}", {"subject": "No"}),
        api.post(f"/cases/{number}/transitions", {"to": "open"}),
        api.post(f"/cases/{number}/notes", {"body": "No"}),
        api.post(f"/cases/{number}/claim"),
        api.post("/tokens", {"name": "another"}),
    ]:
        assert response.status_code == 403, response.content
        assert response.json() == REFUSAL
    assert api.delete("/tokens/1").json() == REFUSAL


def test_a_read_write_token_still_writes(agent_api: Api) -> None:
    assert agent_api.post("/cases", {"subject": "Yes"}).status_code == 201


def test_the_api_makes_and_shows_read_only_tokens(agent_api: Api) -> None:
    made = agent_api.post("/tokens", {"name": "for Claude", "read_only": True})
    assert made.status_code == 201 and made.json()["read_only"] is True
    listed = {t["name"]: t["read_only"] for t in agent_api.get("/tokens").json()}
    assert listed["for Claude"] is True and listed["test"] is False
    secret = made.json()["token"]
    assert Api(secret).post("/cases", {"subject": "No"}).status_code == 403


def test_create_token_read_only_prints_a_read_only_token(agent: Membership) -> None:
    out = StringIO()
    call_command(
        "create_token",
        "--tenant",
        agent.tenant.slug,
        "--user",
        agent.user.email,
        "--name",
        "agent",
        "--read-only",
        stdout=out,
    )
    token = token_authenticate(out.getvalue().strip(), now=NOW)
    assert token is not None and token.read_only and token.name == "agent"
    assert ApiToken.objects.get(pk=token.pk).membership_id == agent.pk

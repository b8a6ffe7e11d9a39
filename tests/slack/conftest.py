"""Fixtures for the Slack tests: the stand-in for Slack's Web API on loopback (and the
setting pointing casedesk at it), an installed Slack app, and a client that sends requests
signed exactly as Slack signs them: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`
keyed with the signing secret."""

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings

from casedesk.cases.models import Case
from casedesk.slack.delivery import deliver_due_posts
from casedesk.slack.installation import installation_save
from casedesk.slack.models import SlackInstallation, SlackThread, ThreadStatus
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock
from tests.slack.standin import Running, SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
TEAM = "T0ACME"
BOT = "U0BOT"
CUSTOMER = "U1CUSTOMER"
CUSTOMER_EMAIL = "dana@customer.test"
CHANNEL = "C0HELP"


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    """The stand-in, serving on a free loopback port, with the bot token and a customer
    known; casedesk's CASEDESK_SLACK_API_URL points at it."""
    with Running() as standin, override_settings(CASEDESK_SLACK_API_URL=standin.url):
        standin.add_token(TOKEN, team_id=TEAM, bot_user_id=BOT)
        standin.add_user(CUSTOMER, "Dana Scully", CUSTOMER_EMAIL)
        yield standin


@pytest.fixture
def installation(tenant: Tenant, admin: Membership, slack_api: SlackStandIn) -> SlackInstallation:
    return installation_save(
        tenant=tenant,
        actor=admin.user,
        now=NOW,
        changes={"signing_secret": SECRET, "bot_token": TOKEN},
    )


def signature(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackClient:
    """Sends what Slack sends to a tenant's Request URLs, signed at the clock's time."""

    def __init__(self, slug: str, clock: Clock, secret: str = SECRET) -> None:
        self.slug, self.clock, self.secret = slug, clock, secret
        self.client = Client()

    def send(
        self,
        endpoint: str,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signed: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        timestamp = int(self.clock.now.timestamp()) if timestamp is None else timestamp
        all_headers = {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signed or signature(body, timestamp, self.secret),
            **(headers or {}),
        }
        return self.client.post(
            f"/slack/{self.slug}/{endpoint}",
            data=body,
            content_type=content_type,
            headers=all_headers,
        )

    def command(
        self, text: str, *, user_id: str = CUSTOMER, channel_id: str = CHANNEL, **extra: Any
    ) -> Any:
        fields = {
            "token": "deprecated-verification-token",
            "team_id": TEAM,
            "team_domain": "acme-workspace",
            "channel_id": channel_id,
            "channel_name": "help",
            "user_id": user_id,
            "user_name": "dana",
            "command": "/case",
            "text": text,
            "api_app_id": "A0CASEDESK",
            "response_url": "https://hooks.slack.com/commands/T0ACME/1/abc",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            **extra,
        }
        return self.send(
            "commands", urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )

    def shortcut(
        self,
        message: dict[str, Any],
        *,
        channel_id: str = CHANNEL,
        user_id: str = "U2AGENTINSLACK",
        **extra: Any,
    ) -> Any:
        payload = {
            "type": "message_action",
            "token": "deprecated",
            "action_ts": "1795942800.000001",
            "callback_id": "create_case",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "response_url": "https://hooks.slack.com/app/T0ACME/1/abc",
            "team": {"id": TEAM, "domain": "acme-workspace"},
            "channel": {"id": channel_id, "name": "help"},
            "user": {"id": user_id, "name": "someone"},
            "message_ts": message.get("ts"),
            "message": message,
            **extra,
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.send("interactions", body, "application/x-www-form-urlencoded")

    def event(
        self, event: dict[str, Any], *, event_id: str = "Ev0PV52K21", retry: int | None = None
    ) -> Any:
        body = {
            "token": "deprecated",
            "team_id": TEAM,
            "api_app_id": "A0CASEDESK",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.clock.now.timestamp()),
            "authorizations": [],
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return self.send("events", json.dumps(body).encode(), "application/json", headers=headers)

    def thread_reply(
        self,
        thread_ts: str,
        text: str,
        *,
        user: str = CUSTOMER,
        ts: str = "1795942900.000200",
        event_id: str = "Ev0REPLY1",
        **extra: Any,
    ) -> Any:
        return self.event(
            {
                "type": "message",
                "channel": CHANNEL,
                "user": user,
                "text": text,
                "ts": ts,
                "thread_ts": thread_ts,
                "channel_type": "channel",
                **extra,
            },
            event_id=event_id,
        )


@pytest.fixture
def slack(tenant: Tenant, clock: Clock) -> SlackClient:
    return SlackClient(tenant.slug, clock)


def slack_cases(tenant: Tenant) -> Any:
    return Case.objects.filter(tenant=tenant, source="slack").order_by("pk")


def opened_thread(
    slack: SlackClient, clock: Clock, text: str = "Printer on fire\nIt smokes since this morning."
) -> tuple[Case, SlackThread]:
    """A case opened with /case and its first message posted: (case, thread)."""
    response = slack.command(text)
    assert response.status_code == 200, response.content
    case = slack_cases(slack_tenant(slack)).last()
    assert deliver_due_posts(clock.now).posted >= 1
    thread = SlackThread.objects.get(case=case)
    assert thread.status == ThreadStatus.OPEN and thread.thread_ts
    return case, thread


def slack_tenant(slack: SlackClient) -> Tenant:
    return SlackInstallation.objects.get(tenant__slug=slack.slug).tenant

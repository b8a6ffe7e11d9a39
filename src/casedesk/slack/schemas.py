"""The Slack installation API's input and output."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from casedesk.core.schemas import Id, Text


class RequestUrlsOut(Schema):
    commands: str = Field(description="The slash command's Request URL (`/case`).")
    interactions: str = Field(description="Interactivity's Request URL (the shortcut).")
    events: str = Field(description="Event Subscriptions' Request URL.")


class FailedPostOut(Schema):
    id: int
    kind: str = Field(description="opened, confirmation, reply or notice")
    case_number: str | None
    error: str = Field(description="Slack's error code, or why Slack was not reached.")
    attempts: int
    mailed_instead: bool = Field(description="An agent's reply mailed to the customer instead.")
    created_at: datetime


class PostsOut(Schema):
    pending: int = Field(description="Messages waiting to be posted to Slack.")
    failed: int = Field(description="Messages given up on after their tries.")
    recent_failures: list[FailedPostOut]


class SlackInstallationOut(Schema):
    installed: bool
    is_enabled: bool | None
    team_id: str | None = Field(description="The workspace, from Slack's auth.test.")
    team_name: str | None
    team_url: str | None
    bot_user_id: str | None
    signing_secret_last4: str | None = Field(description="Secrets are never shown back.")
    bot_token_last4: str | None
    queue_id: int | None = Field(description="Where new Slack cases go; null: routing decides.")
    mirror_replies: bool | None = Field(
        description="Agents' public replies are posted into the case's Slack thread "
        "instead of being mailed."
    )
    missing_scopes: list[str] = Field(description="Scopes the bot token lacks.")
    installed_at: datetime | None
    updated_at: datetime | None
    request_urls: RequestUrlsOut
    scopes: list[str] = Field(description="The bot token scopes the app needs.")
    manifest: dict[str, Any] = Field(
        description="An app manifest to paste into api.slack.com (Create New App → From a "
        "manifest)."
    )
    posts: PostsOut


class SlackInstallationIn(Schema):
    signing_secret: Annotated[Text, Field(max_length=200)] | None = Field(
        None,
        description="Basic Information → App Credentials → Signing Secret. Needed to "
        "install; empty or left out: kept.",
    )
    bot_token: Annotated[Text, Field(max_length=255)] | None = Field(
        None,
        description="OAuth & Permissions → Bot User OAuth Token (xoxb-…), checked with "
        "Slack's auth.test. Needed to install; empty or left out: kept.",
    )
    is_enabled: bool | None = None
    queue_id: Id | None = Field(None, description="null: routing decides.")
    mirror_replies: bool | None = None

"""Slack's Web API through Slack's own SDK (`slack_sdk.WebClient`), at the base URL the
installation sets: `CASEDESK_SLACK_API_URL` (settings, else the environment), by default
Slack's. Tests point it at a stand-in on loopback.

Three calls: `auth.test` when a token is saved (which workspace, which bot user, which
scopes), `users.info` when a Slack user writes (their name and email), `chat.postMessage`
from the worker. Nothing here raises for what the network or Slack did: each answer says
what happened. The SDK's own retries are off; the outbox retries with its own backoff.
"""

from __future__ import annotations

import http.client
import logging
import os
from dataclasses import dataclass, field

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from casedesk.slack.domain import dict_of, scopes_header, text_of

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
# A request from Slack must be answered within 3 seconds: calls made while answering one
# (users.info) get less than that; the worker's and the settings page's calls get more.
REQUEST_PATH_TIMEOUT = 2
TIMEOUT = 10

_FAILURES = (SlackClientError, OSError, http.client.HTTPException, ValueError)


def api_url() -> str:
    """Where Slack's Web API is: the `CASEDESK_SLACK_API_URL` setting, else the environment
    variable of that name, else Slack's own."""
    configured = getattr(settings, "CASEDESK_SLACK_API_URL", None)
    url = configured or os.environ.get("CASEDESK_SLACK_API_URL") or DEFAULT_API_URL
    return str(url) if str(url).endswith("/") else f"{url}/"


def client(token: str, *, timeout: int = TIMEOUT) -> WebClient:
    return WebClient(token=token, base_url=api_url(), timeout=timeout, retry_handlers=[])


@dataclass(frozen=True)
class Failure:
    """Why a call did not succeed: Slack's `error` code (`invalid_auth`, `ratelimited`), or
    a description of the network failure; `status` is the HTTP status when there was one."""

    error: str
    status: int | None = None
    retry_after: str | None = None  # a 429's Retry-After header

    @property
    def is_rate_limited(self) -> bool:
        return self.status == 429 or self.error == "ratelimited"


def _failure(error: Exception) -> Failure:
    if isinstance(error, SlackApiError):
        response = error.response
        headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
        code = response.get("error") if isinstance(response.data, dict) else None
        status = response.status_code
        return Failure(str(code or f"HTTP {status}"), status, headers.get("retry-after"))
    return Failure(f"{type(error).__name__}: {error}"[:300])


@dataclass(frozen=True)
class Team:
    """What `auth.test` says of a bot token."""

    team_id: str
    team_name: str
    team_url: str
    bot_user_id: str
    bot_id: str
    scopes: list[str] = field(default_factory=list)


def auth_test(token: str) -> Team | Failure:
    try:
        response = client(token).auth_test()
    except _FAILURES as error:
        return _failure(error)
    headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
    return Team(
        team_id=text_of(response.get("team_id")),
        team_name=text_of(response.get("team")),
        team_url=text_of(response.get("url")),
        bot_user_id=text_of(response.get("user_id")),
        bot_id=text_of(response.get("bot_id")),
        scopes=scopes_header(headers.get("x-oauth-scopes", "")),
    )


@dataclass(frozen=True)
class SlackUser:
    """A Slack user as `users.info` describes them; `email` needs `users:read.email`."""

    user_id: str
    name: str
    email: str
    is_bot: bool = False


def user_info(token: str, user_id: str) -> SlackUser | None:
    """The user, or None when Slack could not say (in time): the caller goes on without."""
    try:
        response = client(token, timeout=REQUEST_PATH_TIMEOUT).users_info(user=user_id)
    except _FAILURES as error:
        log.warning("Slack users.info for %s failed: %s", user_id, _failure(error).error)
        return None
    user = response.get("user")
    if not isinstance(user, dict):
        return None
    profile = dict_of(user.get("profile"))
    name = (
        text_of(profile.get("real_name"))
        or text_of(user.get("real_name"))
        or text_of(profile.get("display_name"))
        or text_of(user.get("name"))
        or user_id
    )
    return SlackUser(
        user_id=user_id,
        name=name.strip(),
        email=text_of(profile.get("email")).strip().lower(),
        is_bot=bool(user.get("is_bot")),
    )


@dataclass(frozen=True)
class Posted:
    ts: str
    channel: str


def post_message(token: str, *, channel: str, text: str, thread_ts: str = "") -> Posted | Failure:
    try:
        response = client(token).chat_postMessage(
            channel=channel, text=text, thread_ts=thread_ts or None
        )
    except _FAILURES as error:
        return _failure(error)
    ts = text_of(response.get("ts"))
    if not ts:
        return Failure("Slack's answer named no message (no ts).")
    return Posted(ts=ts, channel=text_of(response.get("channel")) or channel)

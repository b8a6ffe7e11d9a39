"""Slack's shapes and casedesk's decisions about them, pure: no ORM, no network, time passed
in. What a request must carry to be checked, how Slack's text reads as plain text and how
casedesk's text is written for Slack, which thread messages are a customer's, the app's
manifest, and the outbox's waits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

# Slack: "If the timestamp is more than five minutes from local time, it could be a replay".
SIGNATURE_WINDOW_S = 300
# A signature seen is remembered past the window on either side (a timestamp may also be up
# to the window ahead of our clock), so its replay meets either the window or the digest.
SEEN_KEEP = timedelta(seconds=3 * SIGNATURE_WINDOW_S)
# Slack retries an event three times within about five minutes; a day is ample.
EVENTS_KEEP = timedelta(days=1)

SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "users:read.email",
    "channels:history",
    "groups:history",
)
# Thread replies in public and private channels; the app's removal from the workspace.
BOT_EVENTS = ("message.channels", "message.groups", "app_uninstalled", "tokens_revoked")
SHORTCUT_CALLBACK = "create_case"
COMMAND = "/case"

# chat.postMessage takes 40,000 characters; a longer reply is cut with a pointer to the case.
MAX_POST_CHARS = 39_000

_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def signature_problem(timestamp: str | None, signature: str | None, now_ts: float) -> str | None:
    """Why a request's `X-Slack-Request-Timestamp` and `X-Slack-Signature` cannot be
    accepted before their HMAC is even computed (missing, malformed, too old or too far
    ahead), or None."""
    if not timestamp or not signature:
        return "The request is not signed."
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return "The request's signature headers are malformed."
    if abs(now_ts - int(timestamp)) > SIGNATURE_WINDOW_S:
        return "The request's timestamp is more than five minutes away from now."
    return None


def form_fields(body: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (slash commands, interactions) as a
    dict; a repeated name keeps its first value. Undecodable bytes become U+FFFD."""
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def json_object(raw: str | bytes) -> dict[str, Any] | None:
    """A JSON object, or None for anything else (not JSON, or JSON of another kind)."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def text_of(value: Any) -> str:
    """A field Slack sent as text: a string, else "" (a payload is not trusted to have the
    documented types)."""
    return value if isinstance(value, str) else ""


def dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")


def slack_id(value: Any) -> str:
    """A Slack id (`U024BE7LH`, `C0HELP`) or message timestamp (`1795942800.000100`) as
    sent, or "" for anything else: these are stored and looked up, never shown."""
    return value if isinstance(value, str) and _ID.fullmatch(value) else ""


# --- text -----------------------------------------------------------------------------------

_ANGLED = re.compile(r"<([^<>]*)>")


def _angled(match: re.Match[str]) -> str:
    inside = match.group(1)
    target, _, label = inside.partition("|")
    if target.startswith("@"):  # a user: <@U123> or <@U123|name>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # a channel: <#C123|general>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S123|@team>, <!date^…|fallback>
        if label:
            return label
        return "@" + target[1:].split("^")[0]
    target = target.removeprefix("mailto:")
    if label and label != target:  # a link with a label
        return f"{label} ({target})"
    return target


def plain_text(text: str) -> str:
    """Slack's message text as plain text: mentions, channels and links in angle brackets
    read as people write them, and the three escaped characters (`&amp;`, `&lt;`, `&gt;`)
    restored, last, so text that spelt out an entity stays as it was."""
    text = _ANGLED.sub(_angled, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def slack_escaped(text: str) -> str:
    """Text for Slack's `text` field: `&`, `<` and `>` escaped, as Slack asks, so that what
    an agent wrote can never become a mention (`<!channel>`) or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def first_line(text: str) -> str:
    """The first line that has something on it, spaced as one line ("" when none does)."""
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


def fitted(text: str, limit: int = MAX_POST_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + "… (cut here: the rest is on the case)"


def reply_post(author: str, body: str) -> str:
    """An agent's public reply as posted into the case's thread: "*Agent name*: text"."""
    return fitted(f"*{slack_escaped(author)}*: {slack_escaped(body)}")


def opened_post(number: str, subject: str) -> str:
    """The channel message a `/case` command posts; its thread becomes the case's."""
    return fitted(
        f"Case {number} opened: {slack_escaped(subject)}\n"
        "Reply in this thread to add to the case; the agents' answers come here."
    )


def confirmation_post(number: str, subject: str) -> str:
    """The thread message that confirms a case made from a message by the shortcut."""
    return fitted(
        f"Case {number} opened from this message: {slack_escaped(subject)}\n"
        "Replies in this thread are added to the case; the agents answer here."
    )


def already_post(number: str, subject: str) -> str:
    return fitted(f"This thread is already case {number}: {slack_escaped(subject)}")


def follow_up_post(closed: str, follow_up: str) -> str:
    return (
        f"Case {closed} is closed, so this message opened the follow-up case {follow_up}; "
        "this thread now follows it."
    )


USAGE = (
    "Open a case: `/case what is wrong`. The first line is the subject; the whole text "
    "is the description. The agents answer in a thread of the message posted here."
)


def ephemeral(text: str) -> dict[str, str]:
    """A slash command's answer only its user sees."""
    return {"response_type": "ephemeral", "text": text}


# --- events ---------------------------------------------------------------------------------

# Message subtypes that are still a person writing; every other subtype (bot_message,
# message_changed, message_deleted, channel_join, …) is not a customer's message.
PERSON_SUBTYPES = frozenset({"", "thread_broadcast", "file_share", "me_message"})


@dataclass(frozen=True)
class ThreadMessage:
    """A message event in a thread, as far as casedesk reads it."""

    channel: str
    thread_ts: str
    ts: str
    user: str
    text: str
    has_files: bool


def thread_message(event: dict[str, Any], bot_user_id: str) -> ThreadMessage | None:
    """The customer's message an Events API `message` event is, or None: not a message, not
    in a thread (or the thread's own first message), from a bot (`bot_id`, a bot subtype,
    the app's own bot user), or an edit, deletion or join."""
    if text_of(event.get("type")) != "message":
        return None
    if event.get("bot_id") or text_of(event.get("subtype")) not in PERSON_SUBTYPES:
        return None
    user, thread_ts, ts = (
        slack_id(event.get("user")),
        slack_id(event.get("thread_ts")),
        slack_id(event.get("ts")),
    )
    channel = slack_id(event.get("channel"))
    if not user or user == bot_user_id or not thread_ts or not channel or ts == thread_ts:
        return None
    has_files = bool(event.get("files"))
    text = text_of(event.get("text"))
    if not text.strip() and not has_files:
        return None
    return ThreadMessage(channel, thread_ts, ts, user, text, has_files)


def is_removal(event: dict[str, Any], bot_user_id: str) -> bool:
    """Whether an event says the app can no longer act in the workspace: it was uninstalled,
    or its bot's token revoked (`tokens_revoked` names the revoked tokens by user id)."""
    kind = text_of(event.get("type"))
    if kind == "app_uninstalled":
        return True
    if kind != "tokens_revoked":
        return False
    revoked = dict_of(event.get("tokens")).get("bot")
    return isinstance(revoked, list) and bot_user_id in revoked


# --- the app --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestUrls:
    commands: str
    interactions: str
    events: str


def manifest(name: str, urls: RequestUrls) -> dict[str, Any]:
    """The app manifest an admin pastes into api.slack.com ("Create an app" → "From a
    manifest"): the bot, `/case`, the message shortcut, the scopes, the Request URLs."""
    name = " ".join(name.split())[:35] or "casedesk"
    return {
        "display_information": {
            "name": name,
            "description": "Open cases from Slack and follow them in threads.",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [
                {
                    "command": COMMAND,
                    "url": urls.commands,
                    "description": "Open a case",
                    "usage_hint": "what is wrong",
                    "should_escape": False,
                }
            ],
            "shortcuts": [
                {
                    "name": "Create a case",
                    "type": "message",
                    "callback_id": SHORTCUT_CALLBACK,
                    "description": "Open a case from this message",
                }
            ],
        },
        "oauth_config": {"scopes": {"bot": list(SCOPES)}},
        "settings": {
            "event_subscriptions": {"request_url": urls.events, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, "request_url": urls.interactions},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def missing_scopes(granted: list[str]) -> list[str]:
    """The scopes casedesk needs that the token lacks (none known: nothing is said missing,
    as a token's scopes are only known from Slack's answer)."""
    if not granted:
        return []
    return [scope for scope in SCOPES if scope not in granted]


def scopes_header(value: str) -> list[str]:
    """Slack's `x-oauth-scopes` header ("chat:write,commands") as a list."""
    return [scope.strip() for scope in value.split(",") if scope.strip()]


def last4(secret: str) -> str:
    """What is shown of a secret: its last four characters."""
    return "…" + secret[-4:] if secret else ""


def token_problem(token: str) -> str | None:
    if not token.startswith("xoxb-"):
        return "A bot token starts with xoxb- (the Bot User OAuth Token)."
    if not token.isascii() or not token.isprintable() or " " in token or len(token) > 255:
        return "This is not a Slack bot token."
    return None


_SECRET = re.compile(r"[A-Za-z0-9]{8,200}")


def secret_problem(secret: str) -> str | None:
    if not _SECRET.fullmatch(secret):
        return "A signing secret is letters and digits (Basic Information → Signing Secret)."
    return None


# --- the outbox -----------------------------------------------------------------------------

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
MAX_RETRY_AFTER = timedelta(hours=1)

# Errors trying again cannot mend (a channel the bot is not in, a revoked token, …).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "cannot_reply_to_message",
        "thread_not_found",
        "invalid_blocks",
        "too_many_attachments",
        "ekm_access_denied",
        "team_access_not_granted",
        "channel_is_archived",
        "no_permission",
    }
)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, 1, 2, 4 … minutes, capped
    at an hour (eight tries span about two hours)."""
    delay: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def retry_after(value: str | None) -> timedelta:
    """Slack's `Retry-After` (seconds) on a 429, bounded; a missing or odd value waits the
    first backoff."""
    if value and value.strip().isdigit():
        return min(timedelta(seconds=max(int(value.strip()), 1)), MAX_RETRY_AFTER)
    return FIRST_BACKOFF


def is_permanent(error: str) -> bool:
    return error in PERMANENT_ERRORS

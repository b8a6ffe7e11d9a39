"""The pure decisions about Slack's shapes: no database, no network."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.slack.domain import (
    MAX_POST_CHARS,
    RequestUrls,
    backoff,
    first_line,
    form_fields,
    is_removal,
    json_object,
    last4,
    manifest,
    missing_scopes,
    plain_text,
    reply_post,
    retry_after,
    scopes_header,
    secret_problem,
    signature_problem,
    slack_escaped,
    slack_id,
    thread_message,
    token_problem,
)

NOW_TS = 1795942800.0
GOOD_SIGNATURE = "v0=" + "a" * 64


@pytest.mark.parametrize(
    ("timestamp", "signature", "problem"),
    [
        (None, GOOD_SIGNATURE, "not signed"),
        ("1795942800", None, "not signed"),
        ("", GOOD_SIGNATURE, "not signed"),
        ("17959428OO", GOOD_SIGNATURE, "malformed"),
        ("-1795942800", GOOD_SIGNATURE, "malformed"),
        ("1795942800", "v1=" + "a" * 64, "malformed"),
        ("1795942800", "v0=" + "A" * 64, "malformed"),
        ("1795942800", "v0=abc", "malformed"),
        ("1795942499", GOOD_SIGNATURE, "five minutes"),
        ("1795943101", GOOD_SIGNATURE, "five minutes"),
        ("99999999999999", GOOD_SIGNATURE, "malformed"),
    ],
)
def test_requests_that_cannot_be_checked_are_refused(timestamp, signature, problem) -> None:
    assert problem in (signature_problem(timestamp, signature, NOW_TS) or "")


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamps_within_five_minutes_pass(offset) -> None:
    assert signature_problem(str(int(NOW_TS) + offset), GOOD_SIGNATURE, NOW_TS) is None


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("Hello <@U024BE7LH>", "Hello @U024BE7LH"),
        ("Hello <@U024BE7LH|bob>", "Hello @bob"),
        ("In <#C024BE7LR|general>", "In #general"),
        ("<!here> look", "@here look"),
        ("<!subteam^SAZ94GDB8|@support> help", "@support help"),
        ("See <https://example.com|the page>", "See the page (https://example.com)"),
        ("See <https://example.com>", "See https://example.com"),
        ("Mail <mailto:a@b.test|a@b.test>", "Mail a@b.test"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("literally &amp;lt;", "literally &lt;"),
        ("no markup at all", "no markup at all"),
    ],
)
def test_slack_text_reads_as_plain_text(slack, plain) -> None:
    assert plain_text(slack) == plain


@given(st.text())
def test_escaped_text_reads_back_as_written(text) -> None:
    assert plain_text(slack_escaped(text)) == text
    assert "<" not in slack_escaped(text) and ">" not in slack_escaped(text)


def test_a_reply_is_posted_as_author_and_escaped_text() -> None:
    assert reply_post("Alice <Agent>", "Fixed <!channel> & done") == (
        "*Alice &lt;Agent&gt;*: Fixed &lt;!channel&gt; &amp; done"
    )
    long = reply_post("Alice", "x" * (MAX_POST_CHARS + 10))
    assert len(long) < MAX_POST_CHARS + 100 and long.endswith("the rest is on the case)")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Printer on fire\nsmoke", "Printer on fire"),
        ("\n\n  Printer\ton   fire  \nsmoke", "Printer on fire"),
        ("   \n  ", ""),
    ],
)
def test_the_first_line_is_the_subject(text, line) -> None:
    assert first_line(text) == line


def event(**change):
    base = {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "text": "Hi",
        "ts": "2.000",
        "thread_ts": "1.000",
    }
    base.update(change)
    return {k: v for k, v in base.items() if v is not None}


def test_a_persons_reply_in_a_thread_is_a_customer_message() -> None:
    message = thread_message(event(), "UBOT")
    assert message is not None
    assert (message.channel, message.thread_ts, message.user, message.text) == (
        "C1",
        "1.000",
        "U1",
        "Hi",
    )
    assert thread_message(event(subtype="thread_broadcast"), "UBOT") is not None
    assert thread_message(event(text="", files=[{"id": "F1"}]), "UBOT").has_files


@pytest.mark.parametrize(
    "change",
    [
        {"type": "reaction_added"},
        {"bot_id": "B1"},
        {"subtype": "bot_message"},
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"user": "UBOT"},
        {"user": None},
        {"thread_ts": None},
        {"ts": "1.000"},
        {"channel": None},
        {"text": "  "},
        {"user": ["U1"]},
        {"text": {"not": "text"}},
    ],
)
def test_other_messages_are_not_a_customers(change) -> None:
    assert thread_message(event(**change), "UBOT") is None


def test_form_and_json_bodies_are_read_defensively() -> None:
    assert form_fields(b"text=a%26b&text=second&empty=") == {"text": "a&b", "empty": ""}
    assert form_fields(b"text=%ff")["text"] == "\ufffd"
    assert json_object(b'{"a": 1}') == {"a": 1}
    assert json_object(b"[1]") is None and json_object(b"{nope") is None
    assert json_object(b"[" * 100_000) is None


def test_the_manifest_carries_the_urls_scopes_and_shortcut() -> None:
    urls = RequestUrls(
        "https://d/slack/acme/commands",
        "https://d/slack/acme/interactions",
        "https://d/slack/acme/events",
    )
    app = manifest("Acme Support with a very long name indeed", urls)
    assert len(app["display_information"]["name"]) <= 35
    assert app["features"]["slash_commands"][0]["url"] == urls.commands
    assert app["features"]["shortcuts"][0] == {
        "name": "Create a case",
        "type": "message",
        "callback_id": "create_case",
        "description": "Open a case from this message",
    }
    assert app["settings"]["event_subscriptions"]["bot_events"] == [
        "message.channels",
        "message.groups",
        "app_uninstalled",
        "tokens_revoked",
    ]
    assert "users:read.email" in app["oauth_config"]["scopes"]["bot"]


def test_scopes_missing_are_named() -> None:
    granted = scopes_header("commands, chat:write,users:read")
    assert granted == ["commands", "chat:write", "users:read"]
    assert missing_scopes(granted) == ["users:read.email", "channels:history", "groups:history"]
    assert missing_scopes([]) == []


def test_secrets_and_tokens_are_checked_and_shown_by_their_end() -> None:
    assert token_problem("xoxb-1-2-abc") is None
    assert token_problem("xoxp-1-2-abc") is not None
    assert token_problem("xoxb-with space") is not None
    assert secret_problem("8f742231b10e8888abcd99yyyzzz85a5") is None
    assert secret_problem("short") is not None and secret_problem("has-dash-00000") is not None
    assert last4("xoxb-1-2-abcd") == "…abcd" and last4("") == ""


def test_waits_grow_and_follow_retry_after() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(hours=1)
    assert retry_after("17") == timedelta(seconds=17)
    assert retry_after("0") == timedelta(seconds=1)
    assert retry_after("999999") == timedelta(hours=1)
    assert retry_after(None) == retry_after("soon") == timedelta(seconds=30)


def test_slack_ids_are_taken_as_sent_or_not_at_all() -> None:
    assert slack_id("U024BE7LH") == "U024BE7LH"
    assert slack_id("1795942800.000100") == "1795942800.000100"
    for bad in ("", "U\x00", "x" * 33, "C 1", None, 12, ["U1"]):
        assert slack_id(bad) == ""


def test_the_apps_removal_is_told_from_other_revocations() -> None:
    assert is_removal({"type": "app_uninstalled"}, "UBOT")
    assert is_removal({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, "UBOT")
    assert not is_removal({"type": "tokens_revoked", "tokens": {"oauth": ["U1"]}}, "UBOT")
    assert not is_removal({"type": "tokens_revoked", "tokens": {"bot": "UBOT"}}, "UBOT")
    assert not is_removal({"type": "message"}, "UBOT")

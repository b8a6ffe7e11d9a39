"""What Slack sends, end to end through the Request URLs with signed requests: `/case`, the
message shortcut, thread replies, the URL check; and what is refused (forged, stale and
replayed requests, another tenant's URL)."""

import json
from datetime import timedelta

import pytest

from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.crm.models import Contact
from casedesk.slack.delivery import deliver_due_posts
from casedesk.slack.models import (
    PostKind,
    SlackEventSeen,
    SlackInstallation,
    SlackPost,
    SlackRequestSeen,
    SlackThread,
    ThreadStatus,
)
from tests.conftest import NOW
from tests.slack.conftest import (
    CHANNEL,
    CUSTOMER,
    CUSTOMER_EMAIL,
    TEAM,
    SlackClient,
    opened_thread,
    signature,
    slack_cases,
)

pytestmark = pytest.mark.usefixtures("installation")


# --- /case ----------------------------------------------------------------------------------


def test_slash_command_opens_a_case_answers_ephemeral_and_posts_its_thread(
    slack, slack_api, tenant, clock
) -> None:
    response = slack.command("Printer on fire\nIt smokes since this morning & won't stop.")

    assert response.status_code == 200
    answer = response.json()
    case = slack_cases(tenant).get()
    assert answer["response_type"] == "ephemeral"
    assert case.display_number in answer["text"]
    assert case.subject == "Printer on fire"
    assert case.description == "Printer on fire\nIt smokes since this morning & won't stop."
    assert case.contact.email == CUSTOMER_EMAIL and case.contact.name == "Dana Scully"
    assert [call.params["user"] for call in slack_api.calls_of("users.info")] == [CUSTOMER]
    thread = SlackThread.objects.get(case=case)
    assert (thread.status, thread.thread_ts, thread.channel_id) == ("pending", "", CHANNEL)
    assert slack_api.posts() == []  # posting is the worker's, after the answer

    report = deliver_due_posts(NOW)

    assert report.posted == 1
    [post] = slack_api.posts()
    assert post["channel"] == CHANNEL and not post.get("thread_ts")
    assert post["text"].startswith(f"Case {case.display_number} opened: Printer on fire")
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.OPEN
    assert thread.thread_ts == SlackPost.objects.get(thread=thread).sent_ts != ""


def test_slack_markup_in_the_command_reads_as_plain_text(slack, tenant) -> None:
    slack.command("VPN down for <@U0BOSS|boss> &amp; team, see <https://status.test|status>")

    case = slack_cases(tenant).get()
    assert case.subject == "VPN down for @boss & team, see status (https://status.test)"


def test_an_empty_command_answers_the_usage_and_opens_nothing(slack, slack_api, tenant) -> None:
    response = slack.command("   ")

    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "/case what is wrong" in response.json()["text"]
    assert not slack_cases(tenant).exists() and not SlackPost.objects.exists()


def test_the_users_email_finds_an_existing_contact(slack, tenant) -> None:
    known = Contact.objects.create(tenant=tenant, email=CUSTOMER_EMAIL, name="Dana (known)")

    slack.command("Cannot print")

    assert slack_cases(tenant).get().contact_id == known.pk
    assert Contact.objects.filter(tenant=tenant, email=CUSTOMER_EMAIL).count() == 1


def test_a_user_slack_gives_no_email_makes_a_case_without_contact(slack, slack_api, tenant) -> None:
    slack_api.add_user("U3NOMAIL", "Fox Mulder")

    slack.command("The truth is out there", user_id="U3NOMAIL")

    case = slack_cases(tenant).get()
    assert case.contact_id is None
    assert "Fox Mulder" in case.description and "U3NOMAIL" in case.description


def test_when_users_info_fails_the_case_is_still_opened(slack, slack_api, tenant) -> None:
    slack_api.fail_next("users.info", "internal_error")

    response = slack.command("Still works")

    assert slack_cases(tenant).get().contact_id is None
    assert slack_cases(tenant).get().display_number in response.json()["text"]


def test_the_installations_queue_takes_new_slack_cases(
    slack, tenant, installation, finance
) -> None:
    SlackInstallation.objects.filter(pk=installation.pk).update(queue=finance)

    slack.command("Invoice is wrong")

    assert slack_cases(tenant).get().queue_id == finance.pk


def test_a_switched_off_installation_answers_so_and_opens_nothing(
    slack, tenant, installation
) -> None:
    SlackInstallation.objects.filter(pk=installation.pk).update(is_enabled=False)

    response = slack.command("Anyone?")

    assert response.status_code == 200
    assert "switched off" in response.json()["text"]
    assert not slack_cases(tenant).exists()


def test_text_the_database_cannot_store_is_refused_in_the_answer(slack, tenant) -> None:
    response = slack.command("Bad \x00 byte")

    assert response.status_code == 200
    assert response.json()["text"].startswith("Nothing was opened")
    assert not slack_cases(tenant).exists() and not SlackThread.objects.exists()


# --- the message shortcut -------------------------------------------------------------------


def test_the_shortcut_makes_a_case_in_that_messages_thread(slack, slack_api, tenant) -> None:
    message = {
        "type": "message",
        "user": CUSTOMER,
        "ts": "1795940000.000100",
        "text": "Our login page shows a 500\nsince the deploy",
    }

    response = slack.shortcut(message)

    assert response.status_code == 200 and response.content == b""
    case = slack_cases(tenant).get()
    assert case.subject == "Our login page shows a 500"
    assert case.contact.email == CUSTOMER_EMAIL  # the message's author, not the clicker
    thread = SlackThread.objects.get(case=case)
    assert (thread.thread_ts, thread.status) == ("1795940000.000100", ThreadStatus.OPEN)

    deliver_due_posts(NOW)

    [post] = slack_api.posts()
    assert post["thread_ts"] == "1795940000.000100" and post["channel"] == CHANNEL
    assert case.display_number in post["text"]


def test_the_shortcut_on_a_reply_uses_the_replys_thread(slack, tenant) -> None:
    slack.shortcut(
        {
            "type": "message",
            "user": CUSTOMER,
            "ts": "1795940500.000300",
            "thread_ts": "1795940000.000100",
            "text": "Still broken",
        }
    )

    thread = SlackThread.objects.get(case=slack_cases(tenant).get())
    assert thread.thread_ts == "1795940000.000100"


def test_the_shortcut_twice_on_one_thread_makes_one_case_and_says_so(
    slack, slack_api, tenant, clock
) -> None:
    message = {"type": "message", "user": CUSTOMER, "ts": "1795940000.000100", "text": "Twice"}
    slack.shortcut(message)
    clock.advance(seconds=5)
    assert slack.shortcut(message, trigger_id="13345224609.2").status_code == 200

    case = slack_cases(tenant).get()
    kinds = list(SlackPost.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [PostKind.CONFIRMATION, PostKind.NOTICE]
    deliver_due_posts(clock.now)
    assert f"already case {case.display_number}" in slack_api.posts()[1]["text"]


def test_other_interactions_are_acknowledged_and_ignored(slack, tenant) -> None:
    body = ("payload=" + json.dumps({"type": "block_actions", "team": {"id": TEAM}})).encode()
    response = slack.send("interactions", body, "application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert not slack_cases(tenant).exists()


# --- events ---------------------------------------------------------------------------------


def test_the_url_check_is_answered_with_its_challenge(slack) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFX",
            "type": "url_verification",
        }
    ).encode()

    response = slack.send("events", body, "application/json")

    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFX"}


def test_a_thread_reply_is_the_customers_message_on_the_case(
    slack, slack_api, tenant, clock
) -> None:
    case, thread = opened_thread(slack, clock)

    response = slack.thread_reply(
        thread.thread_ts, "It is &lt;b&gt;still&lt;/b&gt; smoking &amp; beeping"
    )

    assert response.status_code == 200
    note = Note.objects.get(case=case, author__isnull=True, is_public=True)
    assert note.body == "It is <b>still</b> smoking & beeping"
    assert (note.author_email, note.author_name) == (CUSTOMER_EMAIL, "Dana Scully")
    event = TimelineEvent.objects.get(case=case, kind=EventKind.CUSTOMER_REPLIED)
    assert event.message == "Dana Scully wrote in Slack."


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": "B0OTHER"},
        {"subtype": "bot_message"},
        {"user": "U0BOT"},  # the app's own bot user
        {"subtype": "message_changed"},
        {"thread_ts": "1700000000.000001"},  # a thread no case has
        {"ts": None},  # the thread's own first message (ts == thread_ts)
        {"thread_ts": ""},  # not in a thread
        {"text": " "},
    ],
)
def test_messages_that_are_no_customers_reply_are_ignored(slack, tenant, clock, change) -> None:
    case, thread = opened_thread(slack, clock)
    event = {
        "type": "message",
        "channel": CHANNEL,
        "user": CUSTOMER,
        "text": "Hello",
        "ts": "1795942900.000200",
        "thread_ts": thread.thread_ts,
    }
    event.update(change)
    if event["ts"] is None:
        event["ts"] = thread.thread_ts

    response = slack.event(event)

    assert response.status_code == 200
    assert not Note.objects.filter(case=case, author__isnull=True).exists()
    assert not SlackEventSeen.objects.exists()


def test_slacks_retries_of_an_event_make_one_message(slack, tenant, clock) -> None:
    case, thread = opened_thread(slack, clock)
    slack.thread_reply(thread.thread_ts, "Once", event_id="Ev0RETRIED")
    clock.advance(seconds=60)

    retry = slack.event(
        {
            "type": "message",
            "channel": CHANNEL,
            "user": CUSTOMER,
            "text": "Once",
            "ts": "1795942900.000200",
            "thread_ts": thread.thread_ts,
        },
        event_id="Ev0RETRIED",
        retry=1,
    )

    assert retry.status_code == 200
    assert Note.objects.filter(case=case, author__isnull=True).count() == 1


def test_a_reply_to_a_case_closed_past_its_window_opens_a_follow_up_the_thread_follows(
    slack, slack_api, tenant, admin, clock
) -> None:
    case, thread = opened_thread(slack, clock)
    for status in ("open", "in_progress", "resolved", "closed"):
        case = case_transition(
            case=case,
            actor=admin.user,
            to=status,
            now=NOW,
            note="Done",
            closed_reason="Resolved" if status == "closed" else "",
        )
    clock.advance(days=2)

    slack.thread_reply(thread.thread_ts, "It is back")

    follow_up = slack_cases(tenant).exclude(pk=case.pk).get()
    assert follow_up.follow_up_of_id == case.pk
    assert "It is back" in follow_up.description
    thread.refresh_from_db()
    assert thread.case_id == follow_up.pk
    deliver_due_posts(clock.now)
    assert follow_up.display_number in slack_api.posts()[-1]["text"]
    assert slack_api.posts()[-1]["thread_ts"] == thread.thread_ts


def test_the_app_removed_from_the_workspace_switches_the_installation_off(
    slack, installation
) -> None:
    slack.event({"type": "app_uninstalled"}, event_id="Ev0GONE")

    installation.refresh_from_db()
    assert not installation.is_enabled


# --- refusals -------------------------------------------------------------------------------


def body_of(text):
    return f"team_id={TEAM}&channel_id={CHANNEL}&user_id={CUSTOMER}&text={text}".encode()


def assert_nothing_written(tenant) -> None:
    assert not slack_cases(tenant).exists()
    assert not SlackThread.objects.exists() and not SlackPost.objects.exists()
    assert not SlackRequestSeen.objects.exists()


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("endpoint", ["commands", "interactions", "events"])
def test_a_bad_signature_is_refused_with_401(slack, tenant, clock, endpoint) -> None:
    body = body_of("Forged")
    forged = signature(body, int(clock.now.timestamp()), secret="not-the-secret-0000")

    response = slack.send(endpoint, body, FORM, signed=forged)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/plain")
    assert b"signature" in response.content
    assert_nothing_written(tenant)


def test_a_body_changed_after_signing_is_refused(slack, tenant, clock) -> None:
    signed = signature(body_of("Harmless"), int(clock.now.timestamp()))

    response = slack.send("commands", body_of("Changed"), FORM, signed=signed)

    assert response.status_code == 401
    assert_nothing_written(tenant)


@pytest.mark.parametrize(
    "headers", [{}, {"X-Slack-Signature": ""}, {"X-Slack-Request-Timestamp": "soon"}]
)
def test_an_unsigned_or_malformed_request_is_refused(slack, tenant, headers) -> None:
    body = body_of("Unsigned")
    response = slack.client.post(
        f"/slack/{tenant.slug}/commands", data=body, content_type=FORM, headers=headers
    )

    assert response.status_code == 401
    assert_nothing_written(tenant)


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_timestamp_more_than_five_minutes_off_is_refused(slack, tenant, clock, offset) -> None:
    body = body_of("Stale")
    stale = int(clock.now.timestamp()) + offset

    response = slack.send("commands", body, FORM, timestamp=stale)

    assert response.status_code == 401
    assert b"five minutes" in response.content
    assert_nothing_written(tenant)


def test_a_timestamp_within_five_minutes_is_accepted(slack, tenant, clock) -> None:
    response = slack.send(
        "commands", body_of("Fine"), FORM, timestamp=int(clock.now.timestamp()) - 299
    )

    assert response.status_code == 200
    assert slack_cases(tenant).count() == 1


def test_a_replayed_request_is_refused(slack, tenant, clock) -> None:
    body = body_of("Once only")
    timestamp = int(clock.now.timestamp())
    signed = signature(body, timestamp)
    assert slack.send("commands", body, FORM, timestamp=timestamp, signed=signed).status_code == 200
    clock.advance(seconds=30)

    replay = slack.send("commands", body, FORM, timestamp=timestamp, signed=signed)

    assert replay.status_code == 401
    assert b"replay" in replay.content
    assert slack_cases(tenant).count() == 1
    assert SlackPost.objects.count() == 1


def test_a_desk_without_slack_refuses(slack, tenant, installation) -> None:
    installation.delete()

    response = slack.command("Hello")

    assert response.status_code == 401
    assert not slack_cases(tenant).exists()


def test_another_tenants_url_refuses_this_tenants_signature(
    slack, tenant, other_tenant, admin, slack_api, clock
) -> None:
    """Each desk checks with its own secret: a request signed for one tenant is forged for
    any other, even a tenant that installed Slack too."""
    from casedesk.slack.installation import installation_save

    slack_api.add_token("xoxb-globex-1-2-3", team_id="T0GLOBEX", bot_user_id="U0GBOT")
    installation_save(
        tenant=other_tenant,
        actor=None,
        now=NOW,
        changes={
            "signing_secret": "globexsecret0000globexsecret0000",
            "bot_token": "xoxb-globex-1-2-3",
        },
    )
    to_globex = SlackClient(other_tenant.slug, clock)  # signed with this tenant's secret

    response = to_globex.command("Cross-tenant")

    assert response.status_code == 401
    assert not Case.objects.filter(source="slack").exists()


def test_a_get_is_not_allowed(slack, tenant) -> None:
    assert slack.client.get(f"/slack/{tenant.slug}/events").status_code == 405


def test_a_request_just_inside_the_window_and_its_replay_after_it_are_both_handled(
    slack, tenant, clock
) -> None:
    """A signature seen is remembered past the window: replayed just before the window
    closes it meets the digest, just after it meets the window."""
    body = body_of("Edge")
    timestamp = int(clock.now.timestamp())
    signed = signature(body, timestamp)
    slack.send("commands", body, FORM, timestamp=timestamp, signed=signed)

    clock.advance(seconds=299)
    assert slack.send("commands", body, FORM, timestamp=timestamp, signed=signed).status_code == 401
    clock.advance(seconds=2)
    assert slack.send("commands", body, FORM, timestamp=timestamp, signed=signed).status_code == 401
    assert slack_cases(tenant).count() == 1


def test_slacks_certificate_check_is_answered(slack, tenant) -> None:
    response = slack.client.post(
        f"/slack/{tenant.slug}/commands", data=b"ssl_check=1&token=x", content_type=FORM
    )

    assert response.status_code == 200
    assert_nothing_written(tenant)


def test_seen_signatures_and_events_are_pruned_by_the_worker(slack, tenant, clock) -> None:
    from casedesk.slack.delivery import seen_prune

    case, thread = opened_thread(slack, clock)
    slack.thread_reply(thread.thread_ts, "Kept a day")
    assert SlackRequestSeen.objects.count() == 2 and SlackEventSeen.objects.count() == 1

    seen_prune(clock.now + timedelta(minutes=16))
    assert SlackRequestSeen.objects.count() == 0 and SlackEventSeen.objects.count() == 1
    seen_prune(clock.now + timedelta(days=1, minutes=1))
    assert SlackEventSeen.objects.count() == 0


@pytest.mark.parametrize("endpoint", ["commands", "interactions", "events"])
def test_a_multipart_body_is_no_slack_request(slack, tenant, endpoint) -> None:
    response = slack.client.post(f"/slack/{tenant.slug}/{endpoint}", {"text": "Hi"})

    assert response.status_code == 400
    assert_nothing_written(tenant)

"""What Slack sends casedesk: each request verified, then a `/case` command, a message
shortcut or an Events API event taken in.

Verification (`request_verify`): the tenant's installation (named by the Request URL), the
timestamp within five minutes of now, the signature — `v0=` HMAC-SHA256 of
`v0:<timestamp>:<raw body>` keyed with the signing secret, checked by the SDK's
`SignatureVerifier` — and the signature never seen before (a digest of each is kept past
the timestamp window, so a replay meets one or the other). A refusal writes nothing.

Who wrote: the Slack user's name and email come from `users.info`; the email finds the
tenant's contact or makes one. A user Slack gives no email for (the `users:read.email`
scope missing, or a bot) makes a case with no contact: the description says who it was.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from slack_sdk.signature import Clock, SignatureVerifier

from casedesk.cases.creation import CaseInput, case_create, case_follow_up_create
from casedesk.cases.lifecycle import Status
from casedesk.cases.merge import merged_target
from casedesk.cases.models import Case, Source
from casedesk.cases.services import CustomerMessage, case_customer_reply
from casedesk.core.errors import Conflict
from casedesk.core.limits import clipped, fit_problem
from casedesk.core.text import is_storable
from casedesk.crm.models import Contact
from casedesk.crm.services import contact_for_email
from casedesk.routing.models import Queue
from casedesk.slack import webapi
from casedesk.slack.domain import (
    USAGE,
    ThreadMessage,
    already_post,
    confirmation_post,
    dict_of,
    ephemeral,
    first_line,
    follow_up_post,
    is_removal,
    opened_post,
    plain_text,
    signature_problem,
    slack_escaped,
    slack_id,
    text_of,
    thread_message,
)
from casedesk.slack.installation import installation_disable
from casedesk.slack.models import (
    PostKind,
    SlackEventSeen,
    SlackInstallation,
    SlackRequestSeen,
    SlackThread,
    ThreadStatus,
)
from casedesk.slack.outbox import post_queue
from casedesk.slack.selectors import installation_by_slug, thread_at
from casedesk.tenancy.models import Tenant

log = logging.getLogger(__name__)


class Refused(Exception):
    """A request that is not (provably) Slack's for this desk: answered 401, nothing
    written."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _At(Clock):
    """The SDK verifier's clock, read from casedesk's (so tests move it)."""

    def __init__(self, now: datetime) -> None:
        self._now = now.timestamp()

    def now(self) -> float:
        return self._now


def request_verify(
    *, slug: str, body: bytes, timestamp: str | None, signature: str | None, now: datetime
) -> SlackInstallation:
    """The installation a signed request is for, once its signature is checked and recorded
    as seen; Refused otherwise (not set up, unsigned, stale, forged or replayed)."""
    installation = installation_by_slug(slug)
    if installation is None:
        raise Refused("Slack is not set up for this desk.")
    problem = signature_problem(timestamp, signature, now.timestamp())
    if problem is not None:
        raise Refused(problem)
    assert timestamp is not None and signature is not None  # signature_problem saw them
    verifier = SignatureVerifier(installation.signing_secret, clock=_At(now))
    try:
        valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (UnicodeDecodeError, ValueError):  # a body that is not UTF-8 is no Slack request
        valid = False
    if not valid:
        raise Refused("The request's signature does not match.")
    digest = hashlib.sha256(signature.encode("ascii")).hexdigest()
    try:
        with transaction.atomic():
            SlackRequestSeen.objects.create(
                tenant_id=installation.tenant_id, digest=digest, seen_at=now
            )
    except IntegrityError:
        raise Refused("This request was received before (a replay).") from None
    return installation


# --- people ---------------------------------------------------------------------------------


def _contact_for(tenant: Tenant, person: webapi.SlackUser | None) -> Contact | None:
    """The tenant's contact with the Slack user's email, made if there is none
    (`crm.services.contact_for_email`, as the web form and chat do); None when Slack gave no
    usable email (or the user is a bot)."""
    if person is None or person.is_bot or not person.email or not is_storable(person.email):
        return None
    email = person.email.lower()
    try:
        validate_email(email)
    except ValidationError:
        return None
    if fit_problem(Contact, "email", email) is not None:
        return None
    return contact_for_email(tenant, email, person.name if is_storable(person.name) else "")


def _who(person: webapi.SlackUser | None, user_id: str, fallback_name: str = "") -> str:
    if person is not None and person.name:
        return person.name
    return fallback_name or user_id or "Someone"


@dataclass(frozen=True)
class _NewCase:
    subject: str
    description: str


def _new_case(
    text: str,
    person: webapi.SlackUser | None,
    contact: Contact | None,
    user_id: str,
    user_name: str,
) -> _NewCase:
    who = _who(person, user_id, user_name)
    subject = first_line(text) or f"Slack message from {who}"
    description = text
    if contact is None and user_id:
        description += (
            f"\n\n(Written in Slack by {who}, user {user_id}; Slack gave no email "
            "address, so the case has no contact.)"
        )
    return _NewCase(clipped(Case, "subject", subject), description)


def _queue_id(installation: SlackInstallation) -> int | None:
    queue_id = installation.queue_id
    if queue_id is None:
        return None
    live = Queue.objects.filter(
        tenant_id=installation.tenant_id, pk=queue_id, is_active=True
    ).exists()
    return queue_id if live else None


def _open_case(
    installation: SlackInstallation, new: _NewCase, contact: Contact | None, now: datetime
) -> Case:
    case, _ = case_create(
        tenant=installation.tenant,
        actor=None,
        now=now,
        data=CaseInput(
            subject=new.subject,
            description=new.description,
            source=Source.SLACK,
            contact_id=contact.pk if contact is not None else None,
            queue_id=_queue_id(installation),
        ),
    )
    return case


# --- /case ----------------------------------------------------------------------------------


def command_take(
    *, installation: SlackInstallation, fields: dict[str, str], now: datetime
) -> dict[str, str]:
    """A `/case <text>` command: a case (source `slack`) from the text, its first line the
    subject, and a message posted in the channel (by the worker) whose thread becomes the
    case's. Returns the ephemeral answer only the user sees, naming the case; empty text
    gets the usage instead. Refusals are answered the same way."""
    if not installation.is_enabled:
        return ephemeral("casedesk's Slack app is switched off for now; ask your desk's admin.")
    team_id = fields.get("team_id", "")
    if team_id and team_id != installation.team_id:
        return ephemeral("This Slack workspace is not the one connected to the desk.")
    text = plain_text(fields.get("text", "")).strip()
    if not text:
        return ephemeral(USAGE)
    user_id, channel_id = slack_id(fields.get("user_id")), slack_id(fields.get("channel_id"))
    if not user_id or not channel_id:
        return ephemeral("Slack sent no channel or user with the command; nothing was opened.")
    person = webapi.user_info(installation.bot_token, user_id)  # before any lock is held
    with transaction.atomic():
        contact = _contact_for(installation.tenant, person)
        new = _new_case(text, person, contact, user_id, fields.get("user_name", ""))
        case = _open_case(installation, new, contact, now)
        thread = SlackThread.objects.create(
            tenant_id=installation.tenant_id,
            case=case,
            team_id=installation.team_id,
            channel_id=channel_id,
            thread_ts="",
            status=ThreadStatus.PENDING,
            created_at=now,
        )
        post_queue(
            installation_id=installation.pk,
            thread=thread,
            kind=PostKind.OPENED,
            text=opened_post(case.display_number, case.subject),
            now=now,
            case=case,
        )
    return ephemeral(
        f"Case {case.display_number} opened: {slack_escaped(case.subject)}. "
        "The agents will answer in a thread here."
    )


# --- the message shortcut -------------------------------------------------------------------


def shortcut_take(
    *, installation: SlackInstallation, payload: dict[str, Any], now: datetime
) -> Case | None:
    """A message shortcut (`message_action`): a case from the message's text, its author the
    message's user, its thread the message's thread; a confirmation is posted into the
    thread. A thread that already carries a case gets a note saying which instead. Other
    interactions are ignored (None)."""
    if not installation.is_enabled or text_of(payload.get("type")) != "message_action":
        return None
    team_id = text_of(dict_of(payload.get("team")).get("id"))
    if team_id and team_id != installation.team_id:
        return None
    channel_id = slack_id(dict_of(payload.get("channel")).get("id"))
    message = dict_of(payload.get("message"))
    ts = slack_id(message.get("ts"))
    thread_ts = slack_id(message.get("thread_ts")) or ts
    if not channel_id or not thread_ts:
        return None
    if _already(installation, channel_id, thread_ts, now):
        return None
    author_id = slack_id(message.get("user"))
    person = webapi.user_info(installation.bot_token, author_id) if author_id else None
    text = plain_text(text_of(message.get("text"))).strip()
    try:
        with transaction.atomic():
            contact = _contact_for(installation.tenant, person)
            new = _new_case(text, person, contact, author_id, text_of(message.get("username")))
            case = _open_case(installation, new, contact, now)
            thread = SlackThread.objects.create(
                tenant_id=installation.tenant_id,
                case=case,
                team_id=installation.team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                status=ThreadStatus.OPEN,
                created_at=now,
            )
            post_queue(
                installation_id=installation.pk,
                thread=thread,
                kind=PostKind.CONFIRMATION,
                now=now,
                case=case,
                text=confirmation_post(case.display_number, case.subject),
            )
    except IntegrityError:
        # The same message made into a case at the same moment (a double click): that one
        # stands, and everything here was rolled back.
        _already(installation, channel_id, thread_ts, now)
        return None
    return case


def _already(
    installation: SlackInstallation, channel_id: str, thread_ts: str, now: datetime
) -> bool:
    """Whether the thread carries a case already; if so, says which in the thread."""
    thread = thread_at(installation, channel_id, thread_ts)
    if thread is None:
        return False
    case = thread.case
    with transaction.atomic():
        post_queue(
            installation_id=installation.pk,
            thread=thread,
            kind=PostKind.NOTICE,
            text=already_post(case.display_number, case.subject),
            now=now,
            case=case,
        )
    return True


# --- events ---------------------------------------------------------------------------------


def event_take(
    *, installation: SlackInstallation, body: dict[str, Any], now: datetime
) -> dict[str, str] | None:
    """An Events API request: the `url_verification` challenge answered (the JSON to send
    back), a reply in a case's thread taken in as the customer's message, the app's removal
    from the workspace noted. Everything else is acknowledged and ignored (None)."""
    kind = text_of(body.get("type"))
    if kind == "url_verification":
        return {"challenge": text_of(body.get("challenge"))}
    if kind != "event_callback" or not installation.is_enabled:
        return None
    team_id = text_of(body.get("team_id"))
    if team_id and team_id != installation.team_id:
        return None
    event = dict_of(body.get("event"))
    if is_removal(event, installation.bot_user_id):
        installation_disable(installation=installation, now=now)
        return None
    message = thread_message(event, installation.bot_user_id)
    if message is None:
        return None
    thread = thread_at(installation, message.channel, message.thread_ts)
    if thread is None or thread.status != ThreadStatus.OPEN:
        return None
    # Without an event id (never, from Slack) the message's own ts stands in for it.
    event_id = (slack_id(body.get("event_id")) or f"{message.channel}:{message.ts}")[:64]
    if SlackEventSeen.objects.filter(tenant_id=installation.tenant_id, event_id=event_id).exists():
        return None  # a retry of an event taken in already
    person = webapi.user_info(installation.bot_token, message.user)
    thread_reply_take(
        installation=installation,
        thread=thread,
        message=message,
        person=person,
        event_id=event_id,
        now=now,
    )
    return None


def _message_body(message: ThreadMessage) -> str:
    body = plain_text(message.text).strip()
    if message.has_files:
        note = "(Files were shared with this message in Slack; they stay in the thread.)"
        body = f"{body}\n\n{note}" if body else note
    return body


def thread_reply_take(
    *,
    installation: SlackInstallation,
    thread: SlackThread,
    message: ThreadMessage,
    person: webapi.SlackUser | None,
    event_id: str,
    now: datetime,
) -> Case | None:
    """A reply in a case's thread as the customer's message on the case (`case_customer_reply`,
    channel "slack"), once per event id, in one transaction. A case closed past its reopen
    window takes it as a follow-up case, linked, which the thread follows from then on (as
    mail does); a merged case's thread leads to the case it was merged into. Returns the case
    the message went to, or None for a repeat of the event."""
    body = _message_body(message)
    who = _who(person, message.user)
    customer = CustomerMessage(
        body=body, author_email=person.email if person else "", author_name=who, channel="slack"
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                SlackEventSeen.objects.create(
                    tenant_id=installation.tenant_id, event_id=event_id, received_at=now
                )
        except IntegrityError:
            return None  # the same event at the same moment (Slack's retry)
        case = merged_target(thread.case)
        try:
            with transaction.atomic():
                case, _ = case_customer_reply(case=case, message=customer, now=now)
        except Conflict:
            if case.status != Status.CLOSED:
                raise
            return _follow_up(installation, thread, case, who, body, now)
    return case


def _follow_up(
    installation: SlackInstallation,
    thread: SlackThread,
    closed: Case,
    who: str,
    body: str,
    now: datetime,
) -> Case:
    follow_up = case_follow_up_create(
        case=closed, actor=None, now=now, description=f"{who} wrote in Slack:\n\n{body}"
    )
    SlackThread.objects.filter(pk=thread.pk).update(case=follow_up)
    thread.case = follow_up
    post_queue(
        installation_id=installation.pk,
        thread=thread,
        kind=PostKind.NOTICE,
        now=now,
        case=follow_up,
        text=follow_up_post(closed.display_number, follow_up.display_number),
    )
    return follow_up

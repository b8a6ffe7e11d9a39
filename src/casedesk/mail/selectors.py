"""Reads of the mail app that other apps show: what became of each public reply's mail."""

from typing import Any

from casedesk.cases.models import Case
from casedesk.mail.models import OutboundKind, OutboundMail, OutboundStatus

_MAIL_SHOWN = ("id", "note_id", "recipient", "to", "cc", "status", "attempts",
               "next_attempt_at", "sent_at", "last_error")


def mail_of_replies(case: Case, note_ids: list[int]) -> dict[int, OutboundMail]:
    """The mail carrying each of these replies, by note id, in one query (none for no
    replies). A reply without an entry was mailed to nobody."""
    if not note_ids:
        return {}
    rows = (OutboundMail.objects.filter(tenant_id=case.tenant_id, case=case,
                                        kind=OutboundKind.REPLY, note_id__in=note_ids)
            .only(*_MAIL_SHOWN).order_by("id"))
    return {row.note_id: row for row in rows if row.note_id is not None}


def reply_mail_out(mail: OutboundMail) -> dict[str, Any]:
    """What became of a reply's mail, as the API shows it beside the note."""
    return {"outbound_id": mail.pk, "status": mail.status, "to": list(mail.to),
            "cc": list(mail.cc), "attempts": mail.attempts, "sent_at": mail.sent_at,
            "next_attempt_at": (mail.next_attempt_at if mail.status == OutboundStatus.PENDING
                                else None),
            "last_error": mail.last_error}


def replies_mail_out(case: Case, note_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {note_id: reply_mail_out(mail)
            for note_id, mail in mail_of_replies(case, note_ids).items()}

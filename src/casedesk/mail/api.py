"""The mail API: the inbound mail as stored (with quarantine and re-processing, and the
strangers' answers held for a manager to accept), the outbox (with "send again"), the IMAP
mailboxes, the tenant's mail settings, and the files mail brought to a case.

Managers and admins read the mail pages, re-process and send again; admins change mailboxes
and settings; any member reads and downloads a case's attachments. Handlers parse, fetch
through `mail.access`, read through `mail.selectors` and call the services (`mail.quarantine`,
`mail.mailboxes`, `mail.tenant_settings`, the outbox); the schemas are in `mail.schemas`.
"""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Router
from ninja.files import UploadedFile
from ninja.params.functions import Query

from casedesk.cases.access import get_case_for_member
from casedesk.cases.attachments import MAX_PENDING, case_files_for, pending_upload_add
from casedesk.cases.models import Case, NoteAttachment
from casedesk.cases.presenters import note_attachment_out
from casedesk.cases.schemas import NoteAttachmentOut
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.schemas import Error
from casedesk.mail import selectors
from casedesk.mail.access import (
    get_attachment_for_member,
    get_inbound_for_member,
    get_mailbox_for_member,
    get_outbound_for_member,
)
from casedesk.mail.downloads import attachment_response, raw_response
from casedesk.mail.filing import Ingested
from casedesk.mail.mailboxes import mailbox_create, mailbox_delete, mailbox_update
from casedesk.mail.models import Attachment, InboundMessage, Mailbox, OutboundMail
from casedesk.mail.outbox import retry_now
from casedesk.mail.quarantine import inbound_file_held, inbound_reprocess
from casedesk.mail.schemas import (
    AttachmentOut,
    InboundDetailOut,
    InboundPage,
    InboundStatusName,
    MailboxIn,
    MailboxOut,
    MailboxPatch,
    MailSettingsOut,
    MailSettingsPatch,
    OutboundDetailOut,
    OutboundPage,
    OutboundStatusName,
    ReprocessOut,
)
from casedesk.mail.tenant_settings import MAIL_SETTINGS, mail_settings_update
from casedesk.tenancy.api_auth import member, require_admin, require_manager
from casedesk.tenancy.models import Tenant

router = Router(tags=["mail"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _binary(media_type: str, description: str) -> dict[str, Any]:
    """The documented 200 of a download: bytes, not JSON."""
    return {"responses": {200: {"description": description, "content": {
        media_type: {"schema": {"type": "string", "format": "binary"}}}}}}


# --- presenters -------------------------------------------------------------------------------

def _case_ref(case: Case | None, tenant: Tenant) -> dict[str, Any] | None:
    if case is None:
        return None
    return {"number": f"{tenant.case_prefix}-{case.number}", "subject": case.subject}


def inbound_out(message: InboundMessage) -> dict[str, Any]:
    return {
        "id": message.pk, "received_at": message.received_at, "channel": message.channel,
        "size": message.size, "status": message.status, "error": message.error,
        "message_id": message.message_id, "sender": message.sender,
        "subject": message.subject, "is_automatic": message.is_automatic,
        "case": _case_ref(message.case, message.tenant), "processed_at": message.processed_at,
        "auth_verdict": message.auth_verdict, "auth_summary": message.auth_summary,
        "ack_withheld": message.ack_withheld,
    }


def outbound_out(mail: OutboundMail) -> dict[str, Any]:
    return {
        "id": mail.pk, "kind": mail.kind, "status": mail.status, "recipient": mail.recipient,
        "to": list(mail.to), "cc": list(mail.cc), "subject": mail.subject,
        "case": _case_ref(mail.case, mail.tenant), "note_id": mail.note_id,
        "attempts": mail.attempts,
        "next_attempt_at": mail.next_attempt_at if mail.status == "pending" else None,
        "sent_at": mail.sent_at, "last_error": mail.last_error, "created_at": mail.created_at,
    }


def outbound_detail_out(mail: OutboundMail) -> dict[str, Any]:
    return {**outbound_out(mail), **{name: getattr(mail, name) for name in (
        "message_id", "in_reply_to", "references", "from_address", "reply_to")},
        "body": selectors.shown_body(mail)}


def attachment_out(attachment: Attachment, number: str) -> dict[str, Any]:
    kept = not attachment.dropped and bool(attachment.file)
    return {
        "id": attachment.pk, "filename": attachment.filename,
        "content_type": attachment.content_type, "size": attachment.size,
        "inline": attachment.inline, "content_id": attachment.content_id,
        "dropped": attachment.dropped, "inbound_id": attachment.message_id,
        "created_at": attachment.created_at,
        "download_url": reverse("api:download_attachment", args=[number, attachment.pk])
        if kept else None,
    }


def mailbox_out(mailbox: Mailbox) -> dict[str, Any]:
    queue = mailbox.queue
    return {
        **{name: getattr(mailbox, name) for name in (
            "name", "host", "port", "security", "ca_certificate", "username", "folder",
            "processed_action", "move_to", "poll_seconds", "enabled", "polled_at",
            "last_error", "last_error_at", "taken_total", "created_at")},
        "id": mailbox.pk, "has_password": bool(mailbox.password),
        "queue": {"id": queue.pk, "name": queue.name} if queue is not None else None,
    }


def settings_out(tenant: Tenant) -> dict[str, Any]:
    usage = selectors.ack_usage(tenant, clock.now())
    return {**{name: getattr(tenant, name) for name in MAIL_SETTINGS},
            "ack_usage": {"sent_last_hour": usage.sent, "cap": usage.cap,
                          "withheld_last_hour": usage.withheld}}


# --- inbound mail -----------------------------------------------------------------------------

@router.get("/mail/inbound", response={200: InboundPage, **ERRORS},
            summary="List inbound mail")
def list_inbound(
    request: HttpRequest,
    status: InboundStatusName = Query("quarantined", description=(
        "`quarantined` (the default: mail the parser could not read, kept for you), "
        "`held` (strangers' answers to cases, waiting for you), `processed`, `duplicate` or "
        "`received` (stored, not yet read).")),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=100),
) -> Any:
    """Messages of one status newest first, with cursor pagination: pass `next_cursor` back as
    `cursor` (managers and admins)."""
    manager = require_manager(request)
    page = selectors.inbound_page(manager.tenant, status=status, cursor=cursor, limit=limit)
    return {"items": [inbound_out(m) for m in page.rows], "next_cursor": page.next_cursor}


@router.get("/mail/inbound/{inbound_id}", response={200: InboundDetailOut, **ERRORS},
            summary="Read an inbound message")
def get_inbound(request: HttpRequest, inbound_id: int) -> Any:
    """What was stored and why it was quarantined, its main headers, and the attachments it
    brought (managers and admins)."""
    manager = require_manager(request)
    message = get_inbound_for_member(manager, inbound_id)
    attachments: list[dict[str, Any]] = []
    if message.case is not None:
        number = message.case.display_number
        attachments = [attachment_out(a, number) for a in
                       selectors.case_attachments(message.case).filter(message=message)]
    return {**inbound_out(message), "sha256": message.sha256,
            "headers": [{"name": n, "value": v} for n, v in selectors.inbound_headers(message)],
            "attachments": attachments}


@router.get("/mail/inbound/{inbound_id}/raw", response=ERRORS,
            summary="Download an inbound message as it arrived",
            openapi_extra=_binary("message/rfc822", "The raw message, byte for byte."))
def get_inbound_raw(request: HttpRequest, inbound_id: int) -> Any:
    """The stored bytes as `message/rfc822` (an `.eml` file) (managers and admins)."""
    manager = require_manager(request)
    message = get_inbound_for_member(manager, inbound_id)
    return raw_response(message)


@router.post("/mail/inbound/{inbound_id}/reprocess", response={200: ReprocessOut, **ERRORS},
             summary="Re-process a quarantined message")
def reprocess_inbound(request: HttpRequest, inbound_id: int) -> Any:
    """Reads the stored message again and files it as if it had just arrived. A message
    that is processed or a duplicate is a 409, as is one received moments ago (it may still
    be being taken in). The answer says what happened: a case made or joined, a duplicate,
    or still quarantined with the reason (managers and admins)."""
    manager = require_manager(request)
    message = get_inbound_for_member(manager, inbound_id)
    return _filing_out(inbound_reprocess(message, now=clock.now()), manager.tenant)


def _filing_out(result: Ingested, tenant: Tenant) -> dict[str, Any]:
    stored = result.message
    stored.tenant = tenant
    return {"outcome": result.status, "created": result.created,
            "case": _case_ref(result.case, tenant), "error": stored.error,
            "message": inbound_out(stored)}


@router.post("/mail/inbound/{inbound_id}/accept", response={200: ReprocessOut, **ERRORS},
             summary="Accept a held message onto its case")
def accept_inbound(request: HttpRequest, inbound_id: int) -> Any:
    """Files a held message (a stranger's answer to a case) on the case it answers, as its
    sender's message; the sender becomes a participant of the case (gets its replies, and
    their next mail threads), the people the message copied do not. A message that is not
    held is a 409, as is one whose case no longer exists (managers and admins)."""
    manager = require_manager(request)
    message = get_inbound_for_member(manager, inbound_id)
    return _filing_out(inbound_file_held(message, now=clock.now(), accept=True),
                       manager.tenant)


@router.post("/mail/inbound/{inbound_id}/new-case", response={200: ReprocessOut, **ERRORS},
             summary="File a held message as a new case")
def file_inbound_as_new_case(request: HttpRequest, inbound_id: int) -> Any:
    """Files a held message as a new case linked to the one it answers, its sender the new
    case's contact. A message that is not held is a 409 (managers and admins)."""
    manager = require_manager(request)
    message = get_inbound_for_member(manager, inbound_id)
    return _filing_out(inbound_file_held(message, now=clock.now(), accept=False),
                       manager.tenant)


# --- outgoing mail ----------------------------------------------------------------------------

@router.get("/mail/outbound", response={200: OutboundPage, **ERRORS},
            summary="List outgoing mail")
def list_outbound(
    request: HttpRequest,
    status: OutboundStatusName = Query("failed", description=(
        "`failed` (the default: failed for good, waiting for you), `pending`, `sending` or "
        "`sent`.")),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=100),
) -> Any:
    """Messages of one status newest first, with cursor pagination: pass `next_cursor` back as
    `cursor` (managers and admins)."""
    manager = require_manager(request)
    page = selectors.outbound_page(manager.tenant, status=status, cursor=cursor, limit=limit)
    return {"items": [outbound_out(m) for m in page.rows], "next_cursor": page.next_cursor}


@router.get("/mail/outbound/{outbound_id}", response={200: OutboundDetailOut, **ERRORS},
            summary="Read an outgoing message")
def get_outbound(request: HttpRequest, outbound_id: int) -> Any:
    """Its headers, its text and how delivery went (managers and admins)."""
    manager = require_manager(request)
    return outbound_detail_out(get_outbound_for_member(manager, outbound_id))


@router.post("/mail/outbound/{outbound_id}/retry", response={200: OutboundDetailOut, **ERRORS},
             summary="Send an outgoing message again")
def retry_outbound(request: HttpRequest, outbound_id: int) -> Any:
    """Makes a failed (or waiting) message due at once, with one more try, and wakes a worker
    to send it; a message sent or being sent is a 409 (managers and admins)."""
    manager = require_manager(request)
    mail = get_outbound_for_member(manager, outbound_id)
    retried = retry_now(mail, now=clock.now())
    retried.tenant, retried.case = manager.tenant, mail.case
    return outbound_detail_out(retried)


# --- mailboxes --------------------------------------------------------------------------------

@router.get("/mail/mailboxes", response={200: list[MailboxOut], **ERRORS},
            summary="List IMAP mailboxes")
def list_mailboxes(request: HttpRequest) -> Any:
    """The mailboxes workers poll for the tenant (managers and admins); passwords are never
    returned."""
    return [mailbox_out(m) for m in selectors.mailboxes_of(require_manager(request).tenant)]


@router.post("/mail/mailboxes", response={201: MailboxOut, **ERRORS},
             summary="Add an IMAP mailbox")
def create_mailbox(request: HttpRequest, payload: MailboxIn) -> Any:
    """A name already used in the tenant, a server that is not a host name, `security: none`
    for a server that is not this machine, `move` without `move_to`, a CA certificate that
    is not PEM, or another tenant's queue is a 422 naming the field (admins)."""
    admin = require_admin(request)
    mailbox = mailbox_create(tenant=admin.tenant, values=payload.dict(), now=clock.now())
    return 201, mailbox_out(mailbox)


@router.get("/mail/mailboxes/{mailbox_id}", response={200: MailboxOut, **ERRORS},
            summary="Read an IMAP mailbox")
def get_mailbox(request: HttpRequest, mailbox_id: int) -> Any:
    return mailbox_out(get_mailbox_for_member(require_manager(request), mailbox_id))


@router.patch("/mail/mailboxes/{mailbox_id}", response={200: MailboxOut, **ERRORS},
              summary="Change an IMAP mailbox")
def patch_mailbox(request: HttpRequest, mailbox_id: int, payload: MailboxPatch) -> Any:
    """Changes the fields sent; `queue_id` null lets routing decide (admins)."""
    admin = require_admin(request)
    mailbox = get_mailbox_for_member(admin, mailbox_id)
    changes = payload.dict(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in ("queue_id", "password"):
            raise Invalid(f"{name} cannot be null.", field=name)
    return mailbox_out(mailbox_update(mailbox=mailbox, changes=changes))


@router.delete("/mail/mailboxes/{mailbox_id}", response={204: None, **ERRORS},
               summary="Delete an IMAP mailbox")
def delete_mailbox(request: HttpRequest, mailbox_id: int) -> Any:
    """Stops polling it; mail already taken in stays (admins)."""
    admin = require_admin(request)
    mailbox_delete(mailbox=get_mailbox_for_member(admin, mailbox_id))
    return 204, None


# --- settings ---------------------------------------------------------------------------------

@router.get("/mail/settings", response={200: MailSettingsOut, **ERRORS},
            summary="The tenant's mail settings")
def get_mail_settings(request: HttpRequest) -> Any:
    return settings_out(require_manager(request).tenant)


@router.patch("/mail/settings", response={200: MailSettingsOut, **ERRORS},
              summary="Change the tenant's mail settings")
def patch_mail_settings(request: HttpRequest, payload: MailSettingsPatch) -> Any:
    """Changes the settings sent, all or none: an address another tenant or a queue takes
    mail at, or an acknowledgement template that does not compile, is a 422 (admins)."""
    admin = require_admin(request)
    changes = payload.dict(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    return settings_out(mail_settings_update(tenant=admin.tenant, changes=changes))


# --- a case's attachments ---------------------------------------------------------------------

def note_file_out(attachment: NoteAttachment, number: str) -> dict[str, Any]:
    """A note's file in the shape of the case's attachment list."""
    return {**note_attachment_out(attachment, number), "inline": False, "content_id": "",
            "dropped": False, "inbound_id": None, "kind": "note"}


@router.get("/cases/{number}/attachments", response={200: list[AttachmentOut], **ERRORS},
            summary="A case's attachments")
def list_attachments(request: HttpRequest, number: str) -> Any:
    """Every file of the case, oldest first: what mail brought (`kind: mail`; `dropped`
    ones were over the size limit and were not kept), and what agents attached to notes and
    replies (`kind: note`), with your own uploads not attached yet (`pending`)."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    number = case.display_number
    rows = [attachment_out(a, number) for a in selectors.case_attachments(case)]
    rows += [note_file_out(a, number) for a in case_files_for(case, membership.user)]
    return sorted(rows, key=lambda row: row["created_at"])


@router.post("/cases/{number}/attachments",
             response={201: NoteAttachmentOut, **ERRORS, 413: Error},
             summary="Upload a file to attach to a note",
             description=(
                 "A `multipart/form-data` body with the file in the part `file`. The file "
                 "waits, seen only by you, until a note names it in `attachment_ids` "
                 "(`POST /cases/{number}/notes`); one never attached is removed after a day. "
                 "Over the tenant's size limit: 413; empty, or of a type the tenant does not "
                 "take (read from the bytes, not the name): 422; "
                 f"{MAX_PENDING} files already waiting: 409."))
def upload_note_attachment(request: HttpRequest, number: str,
                           file: File[UploadedFile]) -> Any:
    membership = member(request)
    case = get_case_for_member(membership, number)
    attachment = pending_upload_add(case=case, user=membership.user, upload=file,
                                    now=clock.now())
    return 201, note_attachment_out(attachment, case.display_number)


@router.get("/cases/{number}/attachments/{attachment_id}", response=ERRORS,
            summary="Download an attachment", url_name="download_attachment",
            openapi_extra=_binary("*/*", (
                "The file. PNG, JPEG, GIF and WebP images are served inline, everything "
                "else as a download; always with `X-Content-Type-Options: nosniff`.")))
def download_attachment(request: HttpRequest, number: str, attachment_id: int) -> Any:
    """A dropped attachment (over the size limit) is a 404: it was never kept."""
    return attachment_response(get_attachment_for_member(member(request), number,
                                                         attachment_id))

"""The mail pages: inbound mail as stored (quarantine first, with the raw download and the
"Re-process" button; strangers' answers held with "Accept onto the case" and "File as a new
case"), outgoing mail (failed first, with "Send again"), the IMAP mailboxes (with "Test
connection" and "Poll now"), the tenant's mail settings, and the download of a file mail
brought to a case.

Managers read the mail pages, re-process and send again; admins change mailboxes and
settings and run the mailbox buttons; agents get a 403. Any member who may see a case
downloads its attachments. Forms are plain posts answered with a redirect and a message; a
refused form shows again with the reason on its field and what was typed, and nothing is
saved. Objects are fetched through `mail.access`, like the API does.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.core.pages import AdminList, refused
from casedesk.mail import mailboxes, quarantine, selectors
from casedesk.mail.access import (
    get_attachment_for_member,
    get_inbound_for_member,
    get_mailbox_for_member,
    get_outbound_for_member,
)
from casedesk.mail.downloads import attachment_response, raw_response
from casedesk.mail.filing import Ingested
from casedesk.mail.forms import MailboxForm, MailSettingsForm
from casedesk.mail.models import InboundStatus, Mailbox, OutboundStatus
from casedesk.mail.outbox import retry_now
from casedesk.mail.tenant_settings import mail_settings_update
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

PAGE_SIZE = 50
PREVIEW_BYTES = 4096
STATUS_LABELS = {InboundStatus.QUARANTINED: "Quarantined", InboundStatus.HELD: "Held",
                 InboundStatus.PROCESSED: "Processed", InboundStatus.DUPLICATE: "Duplicates",
                 InboundStatus.RECEIVED: "Received"}
OUTBOUND_LABELS = {OutboundStatus.FAILED: "Failed", OutboundStatus.PENDING: "Waiting",
                   OutboundStatus.SENDING: "Being sent", OutboundStatus.SENT: "Sent"}
RETRYABLE = (OutboundStatus.FAILED, OutboundStatus.PENDING)


def _tabs(membership: Membership, tab: str, **extra: Any) -> dict[str, Any]:
    return {"nav": "mail", "tab": tab, "can_edit": membership.is_admin,
            "quarantined": selectors.quarantined_count(membership.tenant_id),
            "held": selectors.held_count(membership.tenant_id),
            "failed_outbound": selectors.failed_outbound_count(membership.tenant_id),
            **extra}


# --- inbound mail -----------------------------------------------------------------------------

@member_required
@require_GET
def mail_home(request: PageRequest) -> HttpResponse:
    require_manager(member(request))
    return redirect("mail:inbound")


@member_required
@require_GET
def inbound_list(request: PageRequest) -> HttpResponse:
    """One status's messages newest first (quarantined unless `?status=` says otherwise),
    a keyset page at a time (`?cursor=`)."""
    return _status_list(request, tab="inbound", filters=STATUS_LABELS,
                        default=InboundStatus.QUARANTINED, read=selectors.inbound_page)


def _status_list(request: PageRequest, *, tab: str, filters: dict[Any, str], default: str,
                 read: Callable[..., selectors.Page[Any]]) -> HttpResponse:
    """A mail list: one status's rows newest first, a keyset page at a time (`?cursor=`);
    a forged or stale cursor starts again from the newest."""
    membership = require_manager(member(request))
    status = request.GET.get("status") or default
    if status not in filters:
        status = default
    cursor = request.GET.get("cursor") or None
    try:
        page = read(membership.tenant, status=status, cursor=cursor, limit=PAGE_SIZE)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect(f"{reverse(f'mail:{tab}')}?status={status}")
    first = QueryDict(mutable=True)
    first["status"] = status
    following = first.copy()
    if page.next_cursor:
        following["cursor"] = page.next_cursor
    return render(request, f"mail/{tab}.html", _tabs(
        membership, tab, page=page, status=status, filters=filters.items(),
        status_label=filters[status], first_query=first.urlencode(),
        next_query=following.urlencode() if page.next_cursor else None,
        is_first_page=not cursor))


@member_required
@require_GET
def inbound_detail(request: PageRequest, inbound_id: int) -> HttpResponse:
    """One stored message: what it is, why it was quarantined, its main headers, the start of
    its text, and what it brought."""
    membership = require_manager(member(request))
    message = get_inbound_for_member(membership, inbound_id)
    raw = selectors.inbound_raw(message)
    attachments = (list(selectors.case_attachments(message.case).filter(message=message))
                   if message.case is not None else [])
    headers = selectors.inbound_headers(message, raw)
    # A quarantined message was never read, so its row has no subject: the header has one.
    subject = message.subject or next((v for n, v in headers if n == "Subject"), "")
    preview = raw[:PREVIEW_BYTES].decode("utf-8", errors="replace").replace("\r\n", "\n")
    preview = "".join(ch if ch.isprintable() or ch in "\n\t" else "·" for ch in preview)
    return render(request, "mail/inbound_message.html", _tabs(
        membership, "inbound", message=message, headers=headers, subject=subject,
        attachments=attachments, preview=preview, preview_cut=len(raw) > PREVIEW_BYTES,
        refusal=quarantine.reprocess_refusal(message, clock.now()),
        is_held=message.status == InboundStatus.HELD,
        status_label=STATUS_LABELS[InboundStatus(message.status)]))


@member_required
@require_GET
def inbound_raw(request: PageRequest, inbound_id: int) -> HttpResponse:
    """The message byte for byte, as `message-<id>.eml`."""
    membership = require_manager(member(request))
    return raw_response(get_inbound_for_member(membership, inbound_id))


@member_required
@require_POST
def inbound_reprocess(request: PageRequest, inbound_id: int) -> HttpResponse:
    """Reads the message again and files it; the page then says what became of it."""
    membership = require_manager(member(request))
    message = get_inbound_for_member(membership, inbound_id)
    back = reverse("mail:inbound_message", args=[message.pk])
    try:
        result = quarantine.inbound_reprocess(message, now=clock.now())
    except Conflict as error:
        return refused(request, error, back)
    _say_filed(request, result)
    return redirect(back)


def _say_filed(request: PageRequest, result: Ingested) -> None:
    """What became of a message re-processed, accepted or filed, as a flash message."""
    number = result.case.display_number if result.case is not None else ""
    if result.status == InboundStatus.QUARANTINED:
        messages.error(request, f"Still quarantined: {result.message.error}")
    elif result.status == InboundStatus.HELD:
        messages.warning(request, f"Held: it answers {number}, but its sender takes no part "
                                  "in that case. Accept it onto the case or file it as a new "
                                  "case.")
    elif result.status == InboundStatus.DUPLICATE:
        messages.warning(request, "A duplicate: a message with the same Message-ID was taken "
                                  f"in before, on {number}. No case was made.")
    elif result.created:
        messages.success(request, f"Filed: it made the new case {number}.")
    else:
        messages.success(request, f"Filed: it was added to {number} as the customer's "
                                  "message.")


@member_required
@require_POST
def inbound_accept(request: PageRequest, inbound_id: int) -> HttpResponse:
    """"Accept onto the case": a held message (a stranger's answer) is filed on the case it
    answers, and its sender becomes a participant of the case."""
    return _file_held(request, inbound_id, accept=True)


@member_required
@require_POST
def inbound_new_case(request: PageRequest, inbound_id: int) -> HttpResponse:
    """"File as a new case": a held message becomes a new case linked to the one it
    answers."""
    return _file_held(request, inbound_id, accept=False)


def _file_held(request: PageRequest, inbound_id: int, *, accept: bool) -> HttpResponse:
    membership = require_manager(member(request))
    message = get_inbound_for_member(membership, inbound_id)
    back = reverse("mail:inbound_message", args=[message.pk])
    try:
        result = quarantine.inbound_file_held(message, now=clock.now(), accept=accept)
    except Conflict as error:
        return refused(request, error, back)
    _say_filed(request, result)
    return redirect(back)


# --- outgoing mail ----------------------------------------------------------------------------

@member_required
@require_GET
def outbound_list(request: PageRequest) -> HttpResponse:
    """One status's messages newest first (failed unless `?status=` says otherwise), a
    keyset page at a time (`?cursor=`)."""
    return _status_list(request, tab="outbound", filters=OUTBOUND_LABELS,
                        default=OutboundStatus.FAILED, read=selectors.outbound_page)


@member_required
@require_GET
def outbound_detail(request: PageRequest, outbound_id: int) -> HttpResponse:
    """One message as it is (or was) sent: its headers, its text, and how delivery went."""
    membership = require_manager(member(request))
    mail = get_outbound_for_member(membership, outbound_id)
    headers = [("Message-ID", f"<{mail.message_id}>"),
               ("In-Reply-To", f"<{mail.in_reply_to}>" if mail.in_reply_to else ""),
               ("References", mail.references), ("From", mail.from_address),
               ("Reply-To", mail.reply_to), ("To", ", ".join(mail.to)),
               ("Cc", ", ".join(mail.cc))]
    return render(request, "mail/outbound_message.html",
                  _tabs(membership, "outbound", mail=mail, headers=headers,
                        body=selectors.shown_body(mail), can_retry=mail.status in RETRYABLE,
                        status_label=OUTBOUND_LABELS[OutboundStatus(mail.status)]))


@member_required
@require_POST
def outbound_retry(request: PageRequest, outbound_id: int) -> HttpResponse:
    """The "Send again" button: the message is due at once, and a worker is woken for it."""
    membership = require_manager(member(request))
    mail = get_outbound_for_member(membership, outbound_id)
    back = reverse("mail:outbound_message", args=[mail.pk])
    try:
        retry_now(mail, now=clock.now())
    except Conflict as error:
        return refused(request, error, back)
    messages.success(request, f"The message to {mail.recipient} is queued to be sent again: "
                              "a worker sends it shortly.")
    return redirect(back)


# --- mailboxes --------------------------------------------------------------------------------

def _mailboxes(request: PageRequest, **extra: Any) -> dict[str, Any]:
    membership = require_manager(member(request))
    return _tabs(membership, "mailboxes", mailboxes=selectors.mailboxes_of(membership.tenant),
                 **extra)


MAILBOXES = AdminList("mail/mailboxes.html", "mailboxes", "mail:mailboxes", _mailboxes)


def _at_row(mailbox: Mailbox) -> str:
    """The mailbox list, scrolled to the mailbox's row."""
    return f"{reverse('mail:mailboxes')}#mailbox-{mailbox.pk}"


@member_required
@require_GET
def mailbox_list(request: PageRequest) -> HttpResponse:
    return MAILBOXES.page(request)


def _form_page(request: PageRequest, membership: Membership, form: MailboxForm,
               mailbox: Mailbox | None, *, status: int = 200) -> HttpResponse:
    return render(request, "mail/mailbox_form.html", _tabs(
        membership, "mailboxes", form=form, mailbox=mailbox,
        action_url=(reverse("mail:mailbox", args=[mailbox.pk]) if mailbox is not None
                    else reverse("mail:mailbox_new"))), status=status)


@member_required
@require_http_methods(["GET", "POST"])
def mailbox_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    tenant = membership.tenant
    if request.method != "POST":
        return _form_page(request, membership, MailboxForm(tenant=tenant), None)
    form = MailboxForm(request.POST, tenant=tenant)
    if form.is_valid():
        try:
            mailbox = mailboxes.mailbox_create(tenant=tenant, values=form.values(),
                                               now=clock.now())
        except DomainError as error:
            add_domain_error(form, error, form.SERVICE_FIELDS)
        else:
            messages.success(request, f"Mailbox “{mailbox.name}” added: workers poll it every "
                                      f"{mailbox.poll_seconds} s.")
            return redirect(_at_row(mailbox))
    return _form_page(request, membership, form, None, status=422)


@member_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: PageRequest, mailbox_id: int) -> HttpResponse:
    """The mailbox's form (read-only for managers); the password is never shown."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    mailbox = get_mailbox_for_member(membership, mailbox_id)
    if request.method != "POST":
        return _form_page(request, membership, MailboxForm.for_mailbox(mailbox, tenant),
                          mailbox)
    require_admin(membership)
    form = MailboxForm(request.POST, tenant=tenant, editing=True)
    if form.is_valid():
        try:
            mailboxes.mailbox_update(mailbox=mailbox, changes=form.values())
        except DomainError as error:
            add_domain_error(form, error, form.SERVICE_FIELDS)
        else:
            messages.success(request, f"Mailbox “{mailbox.name}” saved.")
            return redirect(_at_row(mailbox))
    return _form_page(request, membership, form, mailbox, status=422)


@member_required
@require_POST
def mailbox_delete(request: PageRequest, mailbox_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    mailbox = get_mailbox_for_member(membership, mailbox_id)
    mailboxes.mailbox_delete(mailbox=mailbox)
    return MAILBOXES.done(request, f"Mailbox “{mailbox.name}” deleted; the mail it brought "
                                   "stays.")


def _run_poller(request: PageRequest, mailbox_id: int, action: str) -> HttpResponse:
    """Runs "Test connection" or "Poll now" and says how it went. Both talk to the server
    within the request: the poller bounds each step with its own timeout."""
    # Imported here: the IMAP client (imaplib, ssl) loads only when a button is pressed.
    from casedesk.mail.imap import check_connection, poll_mailbox
    from casedesk.mail.imap_session import MailboxError

    membership = require_admin(member(request))
    mailbox = get_mailbox_for_member(membership, mailbox_id)
    back = _at_row(mailbox)
    try:
        if action == "test":
            check_connection(mailbox)
            messages.success(request, f"“{mailbox.name}”: connected to {mailbox.host}, signed "
                                      f"in and opened {mailbox.folder}.")
        else:
            result = poll_mailbox(mailbox, now=clock.now())
            told = f"“{mailbox.name}” polled: {result.summary()}"
            if result.busy or not result.ok:
                return refused(request, Conflict(told), back)
            messages.success(request, told)
    except MailboxError as error:
        what = "the connection test failed" if action == "test" else "polling failed"
        return refused(request, Conflict(f"“{mailbox.name}”: {what}. {error}"), back)
    return redirect(back)


@member_required
@require_POST
def mailbox_test(request: PageRequest, mailbox_id: int) -> HttpResponse:
    return _run_poller(request, mailbox_id, "test")


@member_required
@require_POST
def mailbox_poll(request: PageRequest, mailbox_id: int) -> HttpResponse:
    return _run_poller(request, mailbox_id, "poll")


# --- settings ---------------------------------------------------------------------------------

@member_required
@require_http_methods(["GET", "POST"])
def mail_settings(request: PageRequest) -> HttpResponse:
    """The support address, the size limit, how new contacts find their account, who may
    join a case, sender authentication, and the acknowledgement with its limits and how the
    tenant's hourly cap stands (read-only for managers)."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    template = "mail/settings.html"
    usage = selectors.ack_usage(tenant, clock.now())
    if request.method != "POST":
        return render(request, template,
                      _tabs(membership, "settings", ack_usage=usage,
                            form=MailSettingsForm.for_tenant(tenant)))
    require_admin(membership)
    form = MailSettingsForm(request.POST)
    if form.is_valid():
        try:
            mail_settings_update(tenant=tenant, changes=form.changes(tenant))
        except DomainError as error:
            add_domain_error(form, error, form.SERVICE_FIELDS)
        else:
            messages.success(request, "Mail settings saved.")
            return redirect("mail:settings")
    return render(request, template,
                  _tabs(membership, "settings", form=form, ack_usage=usage), status=422)


# --- a case's attachments ---------------------------------------------------------------------

# member_required is typed for HttpResponse; a FileResponse (streamed, not read into memory)
# is an HttpResponseBase, which it passes through all the same.
@member_required  # type: ignore[arg-type]
@require_GET
def case_attachment(request: PageRequest, number: str, attachment_id: int
                    ) -> FileResponse:
    """A file mail brought to the case, for any member who may see the case."""
    return attachment_response(get_attachment_for_member(member(request), number,
                                                         attachment_id))

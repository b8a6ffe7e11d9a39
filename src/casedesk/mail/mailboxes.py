"""The tenant's IMAP mailboxes: adding, changing and deleting the accounts its workers poll.

Each write checks every setting before it stores anything and refuses with `Invalid` naming
the field; who may call them (admins) is the caller's business. The stored password is never
handed to a server it was not given for: a changed server or username needs it typed again.
An archived queue cannot be chosen for a mailbox; a mailbox whose queue was archived after it
was chosen keeps it (its mail is then routed as any other) until the admin picks another.
"""

import ipaddress
import re
import ssl
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from casedesk.core import net
from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.core.schemas import MAX_ID
from casedesk.mail.checks import checked_flag, checked_text, checked_whole
from casedesk.mail.models import Mailbox, MailboxSecurity, ProcessedAction
from casedesk.routing.models import Queue
from casedesk.tenancy.audit import audit_change, audit_deleted, audit_snapshot
from casedesk.tenancy.models import Tenant, User

MAILBOX_FIELDS = ("name", "host", "port", "security", "ca_certificate", "username",
                  "password", "folder", "processed_action", "move_to", "queue_id",
                  "poll_seconds", "enabled")
MAILBOX_DEFAULTS: dict[str, Any] = {
    "port": 993, "security": MailboxSecurity.SSL, "ca_certificate": "", "folder": "INBOX",
    "processed_action": ProcessedAction.FLAG, "move_to": "Processed", "queue_id": None,
    "poll_seconds": 60, "enabled": True,
}
MIN_POLL_SECONDS = 10
MAX_POLL_SECONDS = 24 * 60 * 60
MAX_CA_CERTIFICATE = 64 * 1024
# A changed server or account needs the password typed again, so the stored password is
# never handed to a server it was not given for.
_CREDENTIAL_SCOPE = ("host", "username")
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def _longest(name: str) -> int:
    return max_length(Mailbox, name)


def _host(text: str) -> str:
    host = text.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.split(".")
    if not ascii_host or len(ascii_host) > 253 or not all(_HOST_LABEL.match(p) for p in labels):
        raise Invalid("The server is a host name such as imap.example.com, or an IP address.",
                      field="host")
    return host


def _ca_certificate(text: str) -> str:
    if not text:
        return ""
    try:
        if not text.isascii():  # PEM is ASCII; ssl raises a TypeError on anything else
            raise ValueError(text)
        ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError):
        raise Invalid("The CA certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----"
                      " …).", field="ca_certificate") from None
    return text


def _queue(tenant: Tenant, queue_id: Any, *, kept: int | None) -> int | None:
    """The queue new cases from the mailbox go to: one of the tenant's that takes new cases,
    or the one the mailbox has already (`kept`), which may have been archived since: its mail
    is then routed as any other (`mail.filing.live_queue_ids`)."""
    if queue_id is None:
        return None
    found = (Queue.objects.filter(tenant_id=tenant.pk, pk=queue_id).first()
             if isinstance(queue_id, int) and not isinstance(queue_id, bool)
             and 0 < queue_id <= MAX_ID else None)
    if found is None:
        raise Invalid(f"No queue with id {queue_id}.", field="queue_id")
    if not found.is_active and found.pk != kept:
        raise Invalid(f"The queue “{found.name}” is archived: it takes no new cases. Choose "
                      "another queue, or let routing decide.", field="queue_id")
    return found.pk


def _check_mailbox(tenant: Tenant, values: dict[str, Any], *, mailbox_id: int | None,
                   kept_queue_id: int | None = None) -> dict[str, Any]:
    """The mailbox's values, checked and normalised; Invalid names the first bad field.
    `kept_queue_id`: the queue the mailbox has now, which it may keep even once archived."""
    clean: dict[str, Any] = {
        "name": checked_text(values, "name", "The name", max_length=_longest("name")),
        "host": _host(checked_text(values, "host", "The server",
                                   max_length=_longest("host"))),
        "port": checked_whole(values, "port", "The port", 1, 65535),
    }
    # An internal address typed as such is refused as it is saved; a name is vetted, address
    # by address, each time the poller connects (core.net).
    if net.literal_refusal(clean["host"]) is not None:
        raise Invalid(net.NOT_ALLOWED, field="host")
    security = values.get("security")
    if security not in MailboxSecurity.values:
        raise Invalid(f"security is one of: {', '.join(MailboxSecurity.values)}.",
                      field="security")
    if security == MailboxSecurity.NONE and not net.is_loopback(clean["host"]):
        raise Invalid("Without TLS the password and the mail cross the network in the clear: "
                      "only a server on this machine (localhost, 127.0.0.1, ::1) may go "
                      "without it.", field="security")
    clean["security"] = security
    certificate = values.get("ca_certificate") or ""
    if not isinstance(certificate, str) or len(certificate) > MAX_CA_CERTIFICATE:
        raise Invalid("The CA certificate is PEM text of at most 64 KB.",
                      field="ca_certificate")
    if "\x00" in certificate:
        raise Invalid("The CA certificate must not contain NUL characters.",
                      field="ca_certificate")
    clean["ca_certificate"] = _ca_certificate(certificate.strip())
    clean["username"] = checked_text(values, "username", "The username",
                                     max_length=_longest("username"))
    clean["password"] = checked_text(values, "password", "The password",
                                     max_length=_longest("password"), strip=False)
    clean["folder"] = checked_text(values, "folder", "The folder",
                                   max_length=_longest("folder"))
    action = values.get("processed_action")
    if action not in ProcessedAction.values:
        raise Invalid(f"processed_action is one of: {', '.join(ProcessedAction.values)}.",
                      field="processed_action")
    clean["processed_action"] = action
    move_to = checked_text(values, "move_to", "The folder to move mail to",
                           max_length=_longest("move_to"),
                           required=action == ProcessedAction.MOVE)
    if action == ProcessedAction.MOVE and move_to == clean["folder"]:
        raise Invalid("Move taken mail to another folder than the one polled, or it would be "
                      "found again.", field="move_to")
    clean["move_to"] = move_to
    clean["queue_id"] = _queue(tenant, values.get("queue_id"), kept=kept_queue_id)
    clean["poll_seconds"] = checked_whole(values, "poll_seconds", "The polling interval",
                                          MIN_POLL_SECONDS, MAX_POLL_SECONDS)
    clean["enabled"] = checked_flag(values, "enabled")
    taken = Mailbox.objects.filter(tenant_id=tenant.pk, name__iexact=clean["name"])
    if mailbox_id is not None:
        taken = taken.exclude(pk=mailbox_id)
    if taken.exists():
        raise _name_taken(clean["name"])
    return clean


def _refuse_unknown(values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(MAILBOX_FIELDS))
    if unknown:
        raise Invalid(f"{unknown[0]} is not a mailbox setting.", field=unknown[0])


def _name_taken(name: str) -> Invalid:
    return Invalid(f"There is already a mailbox named “{name}”.", field="name")


def mailbox_create(*, tenant: Tenant, values: dict[str, Any], now: datetime,
                   actor: User | None = None) -> Mailbox:
    """Adds an IMAP mailbox for the tenant's workers to poll; every setting is checked first
    and nothing is stored when one is refused. Audited, the password masked."""
    _refuse_unknown(values)
    clean = _check_mailbox(tenant, {**MAILBOX_DEFAULTS, **values}, mailbox_id=None)
    try:
        with transaction.atomic():
            mailbox = Mailbox.objects.create(tenant=tenant, created_at=now, **clean)
            audit_change(tenant=tenant, actor=actor, action="mailbox.created",
                         target_type="mailbox", target_id=mailbox.pk, target_label=mailbox.name,
                         before={}, after=audit_snapshot(mailbox, MAILBOX_FIELDS),
                         secret=("password",))
            return mailbox
    except IntegrityError:  # the same name, saved at the same moment
        raise _name_taken(clean["name"]) from None


def mailbox_update(*, mailbox: Mailbox, changes: dict[str, Any],
                   actor: User | None = None) -> Mailbox:
    """Changes the settings given. A blank or missing password keeps the stored one, except
    when the server or username changes: then the password must be given again."""
    _refuse_unknown(changes)
    changes = dict(changes)
    if not changes.get("password"):
        changes.pop("password", None)
    current = {name: getattr(mailbox, name) for name in MAILBOX_FIELDS}
    merged = {**current, **changes}
    moved = [name for name in _CREDENTIAL_SCOPE
             if str(merged[name]).strip().lower() != str(current[name]).strip().lower()]
    if moved and "password" not in changes:
        raise Invalid(f"Enter the password again: the {'server' if moved[0] == 'host' else
                      'username'} changed, and the stored password is only sent where it was "
                      "given for.", field="password")
    clean = _check_mailbox(mailbox.tenant, merged, mailbox_id=mailbox.pk,
                           kept_queue_id=mailbox.queue_id)
    changed = [name for name in MAILBOX_FIELDS if clean[name] != current[name]]
    for name in changed:
        setattr(mailbox, name, clean[name])
    if changed:
        try:
            with transaction.atomic():
                mailbox.save(update_fields=changed)
                audit_change(tenant=mailbox.tenant_id, actor=actor, action="mailbox.updated",
                             target_type="mailbox", target_id=mailbox.pk,
                             target_label=mailbox.name,
                             before={name: current[name] for name in changed},
                             after={name: clean[name] for name in changed},
                             secret=("password",))
        except IntegrityError:
            raise _name_taken(clean["name"]) from None
    if "queue_id" in changed:
        mailbox.queue = (Queue.objects.filter(pk=mailbox.queue_id).first()
                         if mailbox.queue_id else None)
    return mailbox


def mailbox_delete(*, mailbox: Mailbox, actor: User | None = None) -> None:
    """Stops polling the mailbox and forgets its settings; mail already taken in stays.
    Audited, the password masked."""
    with transaction.atomic():
        audit_deleted(tenant=mailbox.tenant_id, actor=actor, action="mailbox.deleted",
                      target_type="mailbox", target_id=mailbox.pk, target_label=mailbox.name,
                      values=audit_snapshot(mailbox, MAILBOX_FIELDS), secret=("password",))
        Mailbox.objects.filter(tenant_id=mailbox.tenant_id, pk=mailbox.pk).delete()

"""The mail set-up forms (a mailbox, the tenant's mail settings): what the browser sent turned
into the values `mail.mailboxes` and `mail.tenant_settings` take, and stored rows turned back
into the forms.

The forms check the shape only — a number where a number goes, a choice from the list;
whether the values make sense (a loopback host for an unencrypted mailbox, a template that
compiles, an address no one else takes mail at) is the service's to decide, and its refusal
lands on the matching field through `core.forms.add_domain_error` with `SERVICE_FIELDS`.
"""

from typing import Any, cast

from django import forms
from django.db.models import Q

from casedesk.core.limits import max_length
from casedesk.mail.mailboxes import (
    MAILBOX_FIELDS,
    MAX_CA_CERTIFICATE,
    MAX_POLL_SECONDS,
    MIN_POLL_SECONDS,
)
from casedesk.mail.models import Mailbox, MailboxSecurity, ProcessedAction
from casedesk.mail.tenant_settings import (
    MAIL_SETTINGS,
    MAX_ACK_PER_HOUR,
    MAX_ACK_TENANT_PER_HOUR,
    MAX_AUTHSERV_IDS,
    MAX_MAIL_BYTES,
    MAX_TEMPLATE,
    MB,
    MIN_MAIL_BYTES,
)
from casedesk.routing.models import Queue
from casedesk.tenancy.models import StrangerAction, Tenant


class MailboxForm(forms.Form):
    name = forms.CharField(max_length=max_length(Mailbox, "name"), help_text="e.g. Support inbox")
    host = forms.CharField(label="IMAP server", max_length=max_length(Mailbox, "host"),
                           help_text="e.g. imap.example.com")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(choices=MailboxSecurity.choices, initial=MailboxSecurity.SSL)
    ca_certificate = forms.CharField(
        label="CA certificate", required=False, max_length=MAX_CA_CERTIFICATE,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="PEM of a private CA that signed the server's certificate; leave empty to "
                  "trust the system's CAs.")
    username = forms.CharField(max_length=max_length(Mailbox, "username"))
    # Write-only: never rendered back, so the page never carries the secret.
    password = forms.CharField(max_length=max_length(Mailbox, "password"), required=False,
                               strip=False,
                               widget=forms.PasswordInput(render_value=False,
                                                          attrs={"autocomplete": "new-password"}))
    folder = forms.CharField(max_length=max_length(Mailbox, "folder"), initial="INBOX",
                             help_text="The folder polled.")
    processed_action = forms.ChoiceField(label="Once taken in", choices=ProcessedAction.choices,
                                         initial=ProcessedAction.FLAG)
    move_to = forms.CharField(label="Move to folder", max_length=max_length(Mailbox, "move_to"),
                              required=False, initial="Processed",
                              help_text="Only when moving taken mail.")
    queue = forms.TypedChoiceField(label="Queue for new cases", required=False, coerce=int,
                                   empty_value=None)
    poll_seconds = forms.IntegerField(label="Poll every (seconds)",
                                      min_value=MIN_POLL_SECONDS,
                                      max_value=MAX_POLL_SECONDS, initial=60)
    enabled = forms.BooleanField(label="Enabled: workers poll this mailbox", required=False,
                                 initial=True)

    SERVICE_FIELDS = {"queue_id": "queue"}

    def __init__(self, *args: Any, tenant: Tenant, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only active queues are offered. An archived one is listed (marked) only when it is
        # the value shown — the mailbox's queue, archived since, which then saves unchanged, or
        # one sent from a stale page, which the service refuses on this field.
        shown = str(self["queue"].value() or "")
        shown_id = int(shown) if shown.isdecimal() and len(shown) < 19 else None
        queues = (Queue.objects.filter(tenant_id=tenant.pk)
                  .filter(Q(is_active=True) | Q(pk=shown_id))
                  .order_by("-is_active", "name").values_list("pk", "name", "is_active"))
        cast(forms.ChoiceField, self.fields["queue"]).choices = [
            ("", "— routing decides —"),
            *((pk, name if active else f"{name} (archived)") for pk, name, active in queues)]
        password = self.fields["password"]
        if editing:
            password.help_text = ("Leave empty to keep the stored password. Needed again when "
                                  "the server or username changes.")
        else:
            password.required = True

    @classmethod
    def for_mailbox(cls, mailbox: Mailbox, tenant: Tenant) -> "MailboxForm":
        initial = {name: getattr(mailbox, name) for name in MAILBOX_FIELDS
                   if name not in ("password", "queue_id")}
        initial["queue"] = mailbox.queue_id
        return cls(initial=initial, tenant=tenant, editing=True)

    def values(self) -> dict[str, Any]:
        """What `mailbox_create` and `mailbox_update` take; an empty password is left out
        (on edit it keeps the stored one)."""
        data = self.cleaned_data
        values = {name: data[name] for name in MAILBOX_FIELDS
                  if name not in ("queue_id", "password")}
        values["queue_id"] = data["queue"]
        if data["password"]:
            values["password"] = data["password"]
        return values


class MailSettingsForm(forms.Form):
    mail_address = forms.EmailField(
        label="Support address", required=False, max_length=max_length(Tenant, "mail_address"),
        help_text="Where customers write; the SMTP listener takes mail for it.")
    mail_max_mb = forms.IntegerField(
        label="Largest message taken whole (MB)", min_value=MIN_MAIL_BYTES // MB,
        max_value=MAX_MAIL_BYTES // MB,
        help_text="A larger message keeps its text and loses its attachments, with a notice; "
                  "the original is stored in full.")
    mail_match_account_by_domain = forms.BooleanField(
        label="A new contact joins the account whose domain its address has", required=False)
    mail_stranger_action = forms.ChoiceField(
        label="Mail answering a case from someone who takes no part in it",
        choices=StrangerAction.choices,
        help_text="Anyone copied on a thread knows its message ids. Mail from the case's "
                  "contact, its account's contacts, the people copied on it and the desk's "
                  "members joins the case; anyone else's never does by itself, and the people "
                  "it copies are not added. Held mail waits under Inbound mail · Held.")
    mail_quarantine_failed_auth = forms.BooleanField(
        label="Quarantine mail whose sender authentication failed", required=False,
        help_text="DMARC failed, or without DMARC no DKIM or SPF pass for the From domain, as "
                  "the receiving server's Authentication-Results header says. Such mail is "
                  "always marked with a warning.")
    mail_authserv_ids = forms.CharField(
        label="Trusted authserv-ids", required=False, max_length=MAX_AUTHSERV_IDS,
        help_text="The name your receiving mail server writes in its Authentication-Results "
                  "header (e.g. mx.example.com), comma-separated: only those headers are read. "
                  "Empty: only the topmost header, which the last server added.")
    mail_from = forms.EmailField(
        label="Send from", required=False, max_length=max_length(Tenant, "mail_from"),
        help_text="Replies and acknowledgements come from this address (default: the "
                  "support address).")
    mail_from_name = forms.CharField(label="Sender name", required=False,
                                     max_length=max_length(Tenant, "mail_from_name"),
                                     help_text="Default: the tenant's name.")
    mail_ack_enabled = forms.BooleanField(label="Acknowledge each new case made from mail",
                                          required=False)
    mail_ack_per_hour = forms.IntegerField(
        label="At most this many acknowledgements to one sender an hour", min_value=0,
        max_value=MAX_ACK_PER_HOUR)
    mail_ack_tenant_per_hour = forms.IntegerField(
        label="At most this many acknowledgements an hour in all", min_value=0,
        max_value=MAX_ACK_TENANT_PER_HOUR,
        help_text="Senders are forged at will: this keeps a flood of made-up senders from "
                  "making the desk mail strangers. New cases over the cap are not "
                  "acknowledged, and are counted below.")
    mail_ack_template = forms.CharField(
        label="Acknowledgement text", required=False, strip=False,
        max_length=MAX_TEMPLATE,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="A Django template with {{ case }}, {{ contact }} and {{ tenant }}, e.g. "
                  "{{ case.display_number }}; empty: the built-in text.")

    SERVICE_FIELDS = {"mail_max_bytes": "mail_max_mb"}

    def clean_mail_ack_template(self) -> str:
        # Browsers send CRLF line ends; the mail is built with plain newlines.
        return str(self.cleaned_data["mail_ack_template"]).replace("\r\n", "\n")

    @classmethod
    def for_tenant(cls, tenant: Tenant) -> "MailSettingsForm":
        initial: dict[str, Any] = {name: getattr(tenant, name)
                                   for name in MAIL_SETTINGS if name in cls.base_fields}
        initial["mail_max_mb"] = max(1, round(tenant.mail_max_bytes / MB))
        return cls(initial=initial)

    def changes(self, tenant: Tenant) -> dict[str, Any]:
        """What `mail_settings_update` takes. The size is typed in whole MB: a stored size
        that is not a whole MB is kept as long as the MB shown is not changed."""
        data = self.cleaned_data
        changes = {name: data[name] for name in MAIL_SETTINGS
                   if name in self.fields}
        if data["mail_max_mb"] != max(1, round(tenant.mail_max_bytes / MB)):
            changes["mail_max_bytes"] = data["mail_max_mb"] * MB
        return changes

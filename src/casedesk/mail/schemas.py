"""The mail API's shapes: separate input and output schemas for the inbound mail, the
outbox, the IMAP mailboxes and the tenant's mail settings."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from casedesk.core.schemas import Id, LongText, RefOut, RequiredText, Text, fits
from casedesk.mail.mailboxes import MAX_CA_CERTIFICATE, MAX_POLL_SECONDS, MIN_POLL_SECONDS
from casedesk.mail.models import Mailbox
from casedesk.mail.tenant_settings import (
    MAX_ACK_PER_HOUR,
    MAX_ACK_TENANT_PER_HOUR,
    MAX_MAIL_BYTES,
    MAX_TEMPLATE,
    MIN_MAIL_BYTES,
)
from casedesk.tenancy.models import Tenant

InboundStatusName = Literal["quarantined", "held", "processed", "duplicate", "received"]
AuthVerdictName = Literal["", "pass", "fail"]
AckWithheldName = Literal["", "sender", "tenant"]
StrangerActionName = Literal["new_case", "hold"]
OutboundStatusName = Literal["failed", "pending", "sending", "sent"]
Security = Literal["ssl", "starttls", "none"]
ProcessedActionName = Literal["flag", "move"]
Port = Annotated[int, Field(ge=1, le=65535)]
PollSeconds = Annotated[int, Field(ge=MIN_POLL_SECONDS, le=MAX_POLL_SECONDS)]
Pem = Annotated[Text, Field(max_length=MAX_CA_CERTIFICATE, description=(
    "PEM of a private CA to trust for this server; empty: the system's CAs."))]
MailboxName = Annotated[RequiredText, fits(Mailbox, "name")]
Host = Annotated[RequiredText, fits(Mailbox, "host")]
Username = Annotated[RequiredText, fits(Mailbox, "username")]
Password = Annotated[Text, fits(Mailbox, "password", json_schema_extra={"writeOnly": True})]
Folder = Annotated[RequiredText, fits(Mailbox, "folder")]
MoveTo = Annotated[Text, fits(Mailbox, "move_to")]
# Checked as an address by the service, which also allows "" (none).
SupportAddress = Annotated[Text, fits(Tenant, "mail_address")]
FromAddress = Annotated[Text, fits(Tenant, "mail_from")]


class CaseRefOut(Schema):
    number: str
    subject: str


class InboundOut(Schema):
    id: int
    received_at: datetime
    channel: str = Field(description="pipe, smtp or imap.")
    size: int = Field(description="Bytes, as received.")
    status: InboundStatusName = Field(description=(
        "`held`: it answers a case, but its sender takes no part in it, and the tenant holds "
        "such mail for a manager to accept (or file as a new case)."))
    error: str = Field(description="Why it was quarantined or held.")
    message_id: str
    sender: str
    subject: str
    is_automatic: bool
    case: CaseRefOut | None = Field(description="The case it made or joined (held: the case "
                                                "it answers).")
    processed_at: datetime | None
    auth_verdict: AuthVerdictName = Field(description=(
        "Sender authentication of the From domain as the receiving server reported it in "
        "Authentication-Results: `fail` (DMARC failed, or without DMARC no DKIM or SPF pass "
        "for the domain), `pass`, or empty (nothing trusted was reported)."))
    auth_summary: str = Field(description="What the trusted Authentication-Results said.")
    ack_withheld: AckWithheldName = Field(description=(
        "Why the new case it made was not acknowledged although the tenant acknowledges: "
        "`sender` (that sender's hourly limit) or `tenant` (the tenant's hourly cap)."))


class InboundPage(Schema):
    items: list[InboundOut]
    next_cursor: str | None


class HeaderOut(Schema):
    name: str
    value: str


class AttachmentOut(Schema):
    id: int
    filename: str = Field(description="Made safe: no path, no control characters.")
    content_type: str
    size: int
    inline: bool = Field(description="An inline part (e.g. an image in the HTML body).")
    content_id: str
    dropped: bool = Field(description="Over the size limit: not kept, no download.")
    inbound_id: int | None = Field(description="The inbound message it came with.")
    created_at: datetime
    download_url: str | None
    kind: Literal["mail", "note"] = Field("mail", description=(
        "`mail`: it came with the customer's mail; `note`: an agent attached it to a note or "
        "reply (or uploaded it to attach: `pending`)."))
    note_id: int | None = Field(None, description="For a note's file: the note.")
    pending: bool = Field(False, description="Uploaded by you and not attached yet.")


class InboundDetailOut(InboundOut):
    sha256: str
    headers: list[HeaderOut] = Field(description="The main headers, decoded; empty when the "
                                                 "message has none that can be read.")
    attachments: list[AttachmentOut]


class ReprocessOut(Schema):
    outcome: Literal["processed", "duplicate", "quarantined", "held"]
    created: bool = Field(description="Whether it made a new case (rather than a reply).")
    case: CaseRefOut | None
    error: str
    message: InboundOut


class OutboundOut(Schema):
    id: int
    kind: Literal["reply", "ack", "account", "survey", "automation", "report"] = Field(
        description=(
            "`reply`: an agent's public reply; `ack`: the acknowledgement of a new case; "
            "`account`: an invitation or a password reset (its `body` is never shown: it "
            "holds a link that signs its recipient in); `survey`: a satisfaction survey (its "
            "`body` is never shown: its links answer for the customer); `automation`: a mail "
            "an automation rule sent; `report`: a report mailed to the managers and admins "
            "(the monthly SLA compliance report)."))
    status: OutboundStatusName = Field(description=(
        "`pending` (waiting for its first try or a retry), `sending` (a worker has it), "
        "`sent`, or `failed` (for good: refused, or out of retries)."))
    recipient: str = Field(description="The first To address, lower case.")
    to: list[str]
    cc: list[str]
    subject: str
    case: CaseRefOut | None
    note_id: int | None = Field(description="The public reply it carries (replies only).")
    attempts: int = Field(description="Tries so far.")
    next_attempt_at: datetime | None = Field(description="When it is tried next (pending "
                                                         "only).")
    sent_at: datetime | None
    last_error: str = Field(description="What the last failed try was told.")
    created_at: datetime


class OutboundPage(Schema):
    items: list[OutboundOut]
    next_cursor: str | None


class OutboundDetailOut(OutboundOut):
    message_id: str = Field(description="Without the angle brackets; kept across retries.")
    in_reply_to: str
    references: str
    from_address: str
    reply_to: str
    body: str = Field(description="Plain text, as sent.")


class MailboxIn(Schema):
    name: MailboxName
    host: Host
    port: Port = 993
    security: Security = Field("ssl", description=(
        "`ssl`: TLS from the start (993); `starttls` (143); `none` only for a server on "
        "this machine."))
    ca_certificate: Pem = ""
    username: Username
    password: Annotated[Password, Field(min_length=1, description="Write-only.")]
    folder: Folder = "INBOX"
    processed_action: ProcessedActionName = Field("flag", description=(
        "What happens to mail once taken in: marked read (`flag`) or moved to `move_to`."))
    move_to: MoveTo = "Processed"
    queue_id: Id | None = Field(None, description="New cases from this mailbox go here.")
    poll_seconds: PollSeconds = 60
    enabled: bool = True


class MailboxPatch(Schema):
    name: MailboxName | None = None
    host: Host | None = None
    port: Port | None = None
    security: Security | None = None
    ca_certificate: Pem | None = None
    username: Username | None = None
    password: Password | None = Field(None, description=(
        "Write-only; left out or empty keeps the stored one. Needed again when `host` or "
        "`username` changes."))
    folder: Folder | None = None
    processed_action: ProcessedActionName | None = None
    move_to: MoveTo | None = None
    queue_id: Id | None = Field(None, description="null: routing decides.")
    poll_seconds: PollSeconds | None = None
    enabled: bool | None = None


class MailboxOut(Schema):
    id: int
    name: str
    host: str
    port: int
    security: Security
    ca_certificate: str
    username: str
    has_password: bool = Field(description="The password itself is never returned.")
    folder: str
    processed_action: ProcessedActionName
    move_to: str
    queue: RefOut | None
    poll_seconds: int
    enabled: bool
    polled_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    taken_total: int
    created_at: datetime


class AckUsageOut(Schema):
    sent_last_hour: int = Field(description="Acknowledgements sent in the last hour, counted "
                                            "up to the cap.")
    cap: int = Field(description="`mail_ack_tenant_per_hour`.")
    withheld_last_hour: int = Field(description=(
        "New cases from mail in the last hour whose acknowledgement the tenant's cap withheld "
        "(each is marked `ack_withheld: tenant` in the inbound list); counted up to 10,000."))


class MailSettingsOut(Schema):
    mail_address: str = Field(description="The support address customers write to.")
    mail_max_bytes: int = Field(description="Largest message taken whole, in bytes.")
    mail_match_account_by_domain: bool
    mail_from: str
    mail_from_name: str
    mail_ack_enabled: bool
    mail_ack_template: str = Field(description="Django template text; empty: the default.")
    mail_ack_per_hour: int = Field(description="Acknowledgements to one sender an hour, at "
                                               "most.")
    mail_ack_tenant_per_hour: int = Field(description=(
        "Acknowledgements an hour for the whole tenant, at most: From is forged at will, and "
        "this keeps a flood of made-up senders from making the desk mail strangers."))
    mail_stranger_action: StrangerActionName = Field(description=(
        "Mail that answers a case (In-Reply-To/References) from someone who takes no part in "
        "it: `new_case` files it as a new case linked to that one, `hold` keeps it (status "
        "`held`) until a manager accepts it onto the case or files it as a new case."))
    mail_quarantine_failed_auth: bool = Field(description=(
        "Quarantine mail whose sender authentication failed (see `auth_verdict`)."))
    mail_authserv_ids: str = Field(description=(
        "The receiving server's authserv-id(s), comma-separated: only Authentication-Results "
        "headers naming one are read. Empty: only the topmost header is read."))
    ack_usage: AckUsageOut = Field(description="Read-only: the last hour's "
                                                 "acknowledgements.")


class MailSettingsPatch(Schema):
    mail_address: SupportAddress | None = Field(None, description=(
        "An email address; \"\": none."))
    mail_max_bytes: int | None = Field(None, ge=MIN_MAIL_BYTES,
                                       le=MAX_MAIL_BYTES)
    mail_match_account_by_domain: bool | None = None
    mail_from: FromAddress | None = Field(None, description=(
        "An email address; \"\": the support address."))
    mail_from_name: Annotated[Text, fits(Tenant, "mail_from_name")] | None = None
    mail_ack_enabled: bool | None = None
    mail_ack_template: Annotated[LongText, Field(max_length=MAX_TEMPLATE)] | None = (
        Field(None, description="Rendered with `case`, `contact` and `tenant`."))
    mail_ack_per_hour: int | None = Field(None, ge=0, le=MAX_ACK_PER_HOUR)
    mail_ack_tenant_per_hour: int | None = Field(None, ge=0,
                                                 le=MAX_ACK_TENANT_PER_HOUR)
    mail_stranger_action: StrangerActionName | None = None
    mail_quarantine_failed_auth: bool | None = None
    mail_authserv_ids: Annotated[Text, fits(Tenant, "mail_authserv_ids")] | None = (
        Field(None, description="Host names, comma-separated; \"\": the topmost header."))

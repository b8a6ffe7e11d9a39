"""Mail taken in: every raw message as it arrived, the Message-IDs that thread mail onto
cases, and the files mail brought."""

from django.db import models

from casedesk.core.models import TenantScoped


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # stored, not yet read
    PROCESSED = "processed", "Processed"  # made or joined a case
    DUPLICATE = "duplicate", "Duplicate"  # the same Message-ID was taken in before
    QUARANTINED = "quarantined", "Quarantined"  # could not be read; kept for an admin
    # Answers a case but comes from someone who takes no part in it, and the tenant holds
    # such mail: it waits for a manager to accept it onto the case (or file it as a new one).
    HELD = "held", "Held"


class AuthVerdict(models.TextChoices):
    """Sender authentication of the From domain, as the receiving server's
    Authentication-Results header reported it (`mail.authresults`)."""

    UNKNOWN = "", "Not reported"
    PASS = "pass", "Passed"
    FAIL = "fail", "Failed"


class AckWithheld(models.TextChoices):
    """Why a new case from mail was not acknowledged although the tenant acknowledges."""

    NONE = "", "—"
    SENDER = "sender", "The sender's hourly limit was reached"
    TENANT = "tenant", "The tenant's hourly cap was reached"


class InboundMessage(TenantScoped):
    """One message as it arrived, stored before anything reads it, so nothing is lost."""

    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, default="pipe")  # pipe, smtp, imap
    received_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=InboundStatus.choices,
                              default=InboundStatus.RECEIVED)
    error = models.TextField(blank=True)
    message_id = models.CharField(max_length=500, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    is_automatic = models.BooleanField(default=False)
    # The queue the channel delivered it for (a queue's own address, a mailbox's queue), so
    # reading it again later files it where it was sent.
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="inbound_messages")
    note = models.ForeignKey("cases.Note", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)
    auth_verdict = models.CharField(max_length=4, choices=AuthVerdict.choices, blank=True,
                                    default=AuthVerdict.UNKNOWN)
    auth_summary = models.CharField(max_length=500, blank=True,
                                    help_text="What the trusted Authentication-Results said.")
    ack_withheld = models.CharField(max_length=6, choices=AckWithheld.choices, blank=True,
                                    default=AckWithheld.NONE)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "status", "-received_at"], name="inbound_status"),
            # "How many acknowledgements did the tenant's cap withhold in the last hour?"
            models.Index(fields=["tenant", "processed_at"], name="inbound_ack_withheld",
                         condition=models.Q(ack_withheld="tenant")),
            models.Index(fields=["case", "received_at"], name="inbound_case"),
            # The IMAP poller's "taken in before?" check, per message.
            models.Index(fields=["tenant", "sha256"], name="inbound_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.sha256[:12]} ({self.status})"


class ThreadKey(TenantScoped):
    """A Message-ID a case has seen or sent: replies naming it in In-Reply-To or References
    join that case. Unique per tenant, which also makes a redelivered message one case."""

    message_id = models.CharField(max_length=500)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "message_id"],
                                               name="thread_key_unique")]


class Attachment(TenantScoped):
    """A file that came with a message (or an inline image), in Django's storage."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="attachments")
    message = models.ForeignKey(InboundMessage, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="attachments")
    filename = models.CharField(max_length=150)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField()
    inline = models.BooleanField(default=False)
    content_id = models.CharField(max_length=250, blank=True)
    file = models.FileField(upload_to="attachments/%Y/%m/", max_length=300, blank=True)
    dropped = models.BooleanField(default=False, help_text="Over the size limit: not kept.")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename


class MailboxSecurity(models.TextChoices):
    SSL = "ssl", "TLS from the start (port 993)"
    STARTTLS = "starttls", "STARTTLS (port 143)"
    NONE = "none", "None (loopback only)"


class ProcessedAction(models.TextChoices):
    FLAG = "flag", "Mark as read"
    MOVE = "move", "Move to a folder"


class Mailbox(TenantScoped):
    """An IMAP mailbox a worker polls for a tenant: new mail is taken in, then marked read or
    moved, so it is taken once."""

    name = models.CharField(max_length=100)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=MailboxSecurity.choices,
                                default=MailboxSecurity.SSL)
    ca_certificate = models.TextField(
        blank=True, help_text="PEM of a private CA to trust for this server (else the "
                              "system's).")
    username = models.CharField(max_length=255)
    password = models.CharField(max_length=255)
    folder = models.CharField(max_length=255, default="INBOX")
    processed_action = models.CharField(max_length=4, choices=ProcessedAction.choices,
                                        default=ProcessedAction.FLAG)
    move_to = models.CharField(max_length=255, blank=True, default="Processed")
    queue = models.ForeignKey("routing.Queue", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              help_text="New cases from this mailbox go to this queue.")
    poll_seconds = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    # A worker leases the mailbox while it polls, so two workers never take the same mail.
    lease_until = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    taken_total = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"],
                                               name="mailbox_name_unique")]

    def __str__(self) -> str:
        return self.name


class OutboundKind(models.TextChoices):
    REPLY = "reply", "Public reply"
    ACKNOWLEDGEMENT = "ack", "Acknowledgement"
    # An invitation or a password reset: its body holds a sign-in link, never shown.
    ACCOUNT = "account", "Invitation or password reset"
    # A satisfaction survey (csat): its body holds the signed rating links.
    SURVEY = "survey", "Satisfaction survey"
    # A mail an automation rule sent (to the contact, the owner or another member).
    AUTOMATION = "automation", "Automated mail"
    # A report mailed to the tenant's managers and admins (the monthly SLA compliance report).
    REPORT = "report", "Report"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed for good"


class OutboundMail(TenantScoped):
    """The outbox: one message to send, written in the same transaction as the change that
    calls for it, sent by a worker with retries and backoff."""

    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="outbound_mail")
    note = models.ForeignKey("cases.Note", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    kind = models.CharField(max_length=12, choices=OutboundKind.choices)
    from_address = models.CharField(max_length=400)
    reply_to = models.CharField(max_length=400, blank=True)
    recipient = models.EmailField(max_length=254)  # the first To, lower case
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=250, unique=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=OutboundStatus.choices,
                              default=OutboundStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbound_due",
                         condition=models.Q(status__in=["pending", "sending"])),
            models.Index(fields=["tenant", "recipient", "kind", "created_at"],
                         name="outbound_recipient"),
            models.Index(fields=["case", "created_at"], name="outbound_case"),
            models.Index(fields=["tenant", "status", "-created_at"], name="outbound_status"),
            # The tenant's acknowledgements of the last hour, counted against its cap.
            models.Index(fields=["tenant", "kind", "created_at"], name="outbound_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"

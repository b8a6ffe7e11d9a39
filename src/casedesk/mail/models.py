"""Mail taken in: every raw message as it arrived, the Message-IDs that thread mail onto
cases, and the files mail brought."""

from django.db import models

from casedesk.core.models import TenantScoped


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # stored, not yet read
    PROCESSED = "processed", "Processed"  # made or joined a case
    DUPLICATE = "duplicate", "Duplicate"  # the same Message-ID was taken in before
    QUARANTINED = "quarantined", "Quarantined"  # could not be read; kept for an admin


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
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="inbound_messages")
    note = models.ForeignKey("cases.Note", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "status", "-received_at"], name="inbound_status"),
            models.Index(fields=["case", "received_at"], name="inbound_case"),
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

"""The portal's tables: a tenant's portal and web-form settings (branding, the form's
fields and limits, the spam switch). Customers' sign-in links and sessions are added by the
portal's sign-in work."""

from django.db import models

DEFAULT_ACCENT = "#1d5fbf"
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_FILES = 5
# What a customer may attach to a web-form case by default: documents, images, logs, archives.
DEFAULT_FILE_TYPES = [
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
    "text/csv", "application/zip", "application/json",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]


def _default_file_types() -> list[str]:
    return list(DEFAULT_FILE_TYPES)


class PortalSettings(models.Model):
    """One tenant's portal: how it looks, who may write in through the web form, and what
    the form takes. A tenant without a row has the defaults (`portal.config`)."""

    tenant = models.OneToOneField("tenancy.Tenant", on_delete=models.CASCADE,
                                  related_name="portal_settings")
    # Branding.
    display_name = models.CharField(max_length=100, blank=True,
                                    help_text="Shown at the top of the portal; empty: the "
                                              "tenant's name.")
    logo = models.FileField(upload_to="portal/logos/", max_length=300, blank=True)
    accent_colour = models.CharField(max_length=7, default=DEFAULT_ACCENT)
    # The sign-in mails' sender name ("Acme Support"); the address is the tenant's.
    sender_name = models.CharField(max_length=100, blank=True)
    # The web-to-case form.
    form_enabled = models.BooleanField(default=True)
    # The categories the form offers (names from the tenant's category picklist); empty: all
    # active ones.
    form_categories = models.JSONField(default=list, blank=True)
    max_file_bytes = models.PositiveIntegerField(default=DEFAULT_MAX_FILE_BYTES)
    max_files = models.PositiveSmallIntegerField(default=DEFAULT_MAX_FILES)
    file_types = models.JSONField(default=_default_file_types, blank=True)
    only_known_contacts = models.BooleanField(
        default=False, help_text="Only people already known as contacts may submit the form.")
    # Sites that may show the form in an <iframe> or post the plain HTML form to it
    # (scheme and host, e.g. "https://www.acme.example").
    embed_origins = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Portal of {self.tenant_id}"


class SubmissionOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted: a case was made"
    SPAM = "spam", "Refused as spam (honeypot or filled too fast)"
    THROTTLED = "throttled", "Refused: too many from this address or network"
    UNKNOWN_CONTACT = "unknown_contact", "Refused: not a known contact"


class WebFormSubmission(models.Model):
    """One post of a tenant's web-to-case form, whatever became of it: the rate limits count
    these (per network and per email address), and an admin can see what was refused."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    # The client's IPv4 address or IPv6 /64 network (core.throttle's key).
    client = models.CharField(max_length=64)
    email = models.EmailField(max_length=254, blank=True)
    outcome = models.CharField(max_length=20, choices=SubmissionOutcome.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "client", "created_at"], name="webform_by_client"),
            models.Index(fields=["tenant", "email", "created_at"], name="webform_by_email"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} from {self.client}"


class SignInLink(models.Model):
    """A magic sign-in link mailed to a contact: single-use, short-lived. Only the sha256
    digest of its token is kept, so the table cannot be read back into working links."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sign-in link for contact {self.contact_id}"


class PortalSession(models.Model):
    """A customer signed in to a tenant's portal: the cookie holds a random key, this row
    only its sha256 digest. It is never a Django session: it reaches no console page."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Portal session of contact {self.contact_id}"


class SignInRequest(models.Model):
    """One request for a sign-in link, known address or not, by the client's network: what
    the per-network limit on sign-in mails counts (`portal.signin`)."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    # The client's IPv4 address or IPv6 /64 network (core.throttle's key).
    client = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "client", "created_at"],
                                name="portal_signin_by_client")]

    def __str__(self) -> str:
        return f"Sign-in request from {self.client}"

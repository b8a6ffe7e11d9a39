"""Tenants, the people who work in them, and the API tokens they use."""

from datetime import timedelta
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models


class StrangerAction(models.TextChoices):
    """What becomes of mail that answers a case (by In-Reply-To/References) but comes from an
    address that takes no part in it: anyone copied on the thread knows its Message-IDs."""

    NEW_CASE = "new_case", "File it as a new case linked to the one it answers"
    HOLD = "hold", "Hold it until someone accepts it onto the case"


class Tenant(models.Model):
    """One customer organisation of the installation; every other row belongs to one."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    case_prefix = models.CharField(max_length=10, default="CS")
    time_zone = models.CharField(max_length=64, default="UTC")
    reopen_limit = models.PositiveSmallIntegerField(
        default=1, help_text="How many times a closed case may be re-opened."
    )
    reopen_window = models.DurationField(
        default=timedelta(hours=6), help_text="How long after closing a case may be re-opened."
    )
    parent_close_needs_children_closed = models.BooleanField(
        default=True, help_text="A parent case closes only when all its child cases are closed."
    )
    # The case-number counter on engines without sequences (SQLite); PostgreSQL uses a
    # per-tenant sequence so concurrent creators never wait on this row.
    next_case_number = models.PositiveBigIntegerField(default=1)
    routing_enabled = models.BooleanField(
        default=True, help_text="Route new cases with the routing rules and the fallback map."
    )
    reroute_on_category_change = models.BooleanField(
        default=False, help_text="Route a case again when its category changes."
    )
    sla_pause_when_pending = models.BooleanField(
        default=True, help_text="SLA clocks stand still while a case waits on the customer."
    )
    sla_sweep_minutes = models.PositiveIntegerField(
        default=0, help_text="Run the breach sweep every N minutes (0: only when asked)."
    )
    sla_swept_at = models.DateTimeField(null=True, blank=True)
    mail_address = models.EmailField(
        blank=True, help_text="The support address customers write to (queues may have their "
                              "own); the SMTP listener takes mail for these addresses only.")
    mail_max_bytes = models.PositiveIntegerField(
        default=25 * 1024 * 1024, help_text="Largest message taken in whole; larger ones keep "
                                            "their text and lose their attachments, with a notice.")
    mail_match_account_by_domain = models.BooleanField(
        default=False, help_text="A new contact joins the account whose domain its address has.")
    mail_from = models.EmailField(
        blank=True, help_text="The address replies and acknowledgements are sent from "
                              "(default: the support address, else the installation's).")
    mail_from_name = models.CharField(
        max_length=100, blank=True, help_text="The name shown with it (default: the tenant's).")
    mail_ack_enabled = models.BooleanField(
        default=True, help_text="Acknowledge each new case made from mail.")
    mail_ack_template = models.TextField(
        blank=True, help_text="The acknowledgement's text (Django template; empty: the default).")
    mail_ack_per_hour = models.PositiveSmallIntegerField(
        default=3, help_text="At most this many acknowledgements to one sender an hour.")
    mail_ack_tenant_per_hour = models.PositiveIntegerField(
        default=100, help_text="At most this many acknowledgements an hour for the whole "
                               "tenant (forged senders cannot make the desk mail strangers "
                               "without end); the ones withheld are counted for admins.")
    mail_stranger_action = models.CharField(
        max_length=10, choices=StrangerAction.choices, default=StrangerAction.NEW_CASE,
        help_text="What becomes of mail that answers a case but comes from someone who takes "
                  "no part in it.")
    mail_quarantine_failed_auth = models.BooleanField(
        default=False, help_text="Quarantine mail whose sender authentication failed, as the "
                                 "receiving server's Authentication-Results header says.")
    mail_authserv_ids = models.CharField(
        max_length=255, blank=True,
        help_text="The authserv-id(s) of the receiving mail server, comma-separated: only its "
                  "Authentication-Results headers are read. Empty: the topmost one only.")
    attachment_max_bytes = models.PositiveIntegerField(
        default=20 * 1024 * 1024, help_text="Largest file an agent may attach to a reply or note.")
    attachment_types = models.JSONField(
        default=list, blank=True, help_text="The file types agents may attach, as MIME types or "
                                            "extensions (empty: the installation's safe list).")
    retention_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Anonymise closed cases this many months after they "
                                         "closed (empty: keep them as they are).")
    kb_agents_may_draft = models.BooleanField(
        default=True, help_text="Agents may write knowledge-base drafts (managers and admins "
                                "publish them).")
    # Bumped by every change of SLA policies, calendars, holidays and settings, so each
    # process's cached copy of them knows when it is stale (as routing_version does).
    sla_version = models.PositiveIntegerField(default=0)
    # Bumped by every change of the routing rules, so each process's compiled copy of them
    # knows when it is stale without asking the database.
    routing_version = models.PositiveIntegerField(default=0)
    # Moved on by every write of an automation rule or webhook endpoint (as routing_version).
    automation_version = models.PositiveIntegerField(default=0)
    # Moved on by every write of a picklist value or custom field definition (as
    # routing_version): new cases are checked against each process's copy of them.
    fields_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in; what they may do in a tenant comes from their Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    AGENT = "agent", "Agent"


class Availability(models.TextChoices):
    AVAILABLE = "available", "Available"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class Membership(models.Model):
    """A user's place in one tenant: role, manager, and the facts routing uses."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    skills = models.JSONField(default=list, blank=True)
    territory = models.CharField(max_length=100, blank=True)
    capacity = models.PositiveSmallIntegerField(
        default=20, help_text="Open cases (normal-priority equivalents) routing may give them."
    )
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.AVAILABLE
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)


class ApiToken(models.Model):
    """A bearer token for the API, acting as one membership; only its digest is stored."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A read-only token reads through the API and MCP but changes nothing: what an AI agent
    # that should only look things up is given.
    read_only = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'token'})"


class TokenEvent(models.Model):
    """A case's timeline event written while an API token acted through MCP: the way in and
    the token, by the name it had then (a token renamed or revoked later still tells what it
    did). The event lives in `cases`, a floor above, so it is named by id, not a foreign key;
    one row per event, written in the event's transaction (`mcpserver` does)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    event_id = models.BigIntegerField(unique=True)
    via = models.CharField(max_length=10)
    token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    token_name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"event {self.event_id} via {self.via} ({self.token_name})"


class Invitation(models.Model):
    """An admin's invitation for someone to join the tenant by email, with the role and
    routing facts they get when they accept. The link carries a signed token naming the
    invitation and its `nonce`; resending changes the nonce (so an earlier link stops
    working) and restarts the 7 days. Accepting or revoking ends it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    manager = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    skills = models.JSONField(default=list, blank=True)
    territory = models.CharField(max_length=100, blank=True)
    capacity = models.PositiveSmallIntegerField(default=20)
    # Queue ids to join on acceptance; routing (a higher floor) owns queues and applies them.
    queue_ids = models.JSONField(default=list, blank=True)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    nonce = models.CharField(max_length=32)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"], name="invitation_one_open_per_address",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.tenant} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class AuditEntry(models.Model):
    """One change of configuration or access, or one export or erasure: who did it, when, by
    which way in, to what, and the old and new values of what changed. Written only by
    `tenancy.audit.audit_record`, in the transaction of the change it records; never edited.
    The actor's label is kept apart from the user row so the entry still says who after the
    user is gone."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=254, blank=True)
    via = models.CharField(max_length=20, blank=True, help_text="web, api, cli or worker")
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=50)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-at", "-id"], name="audit_tenant_time"),
            models.Index(fields=["tenant", "action", "-at"], name="audit_tenant_action"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_id} by {self.actor_label}"


__all__ = ["ApiToken", "AuditEntry", "Invitation", "Membership", "Role", "Tenant", "User"]

"""Cases and everything that hangs off one: notes, timeline, assignments, picklists, fields."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from casedesk.cases.customfields import FieldKind
from casedesk.cases.lifecycle import OPEN_STATUSES, Status
from casedesk.core.models import TenantScoped
from casedesk.core.priority import Priority

# Labels as the first migration recorded them ("In Progress"), not `Status.label`.
STATUS_CHOICES = [(s.value, s.name.replace("_", " ").title()) for s in Status]
OPEN_STATUS_VALUES = [s.value for s in OPEN_STATUSES]
_IS_OPEN = Q(status__in=OPEN_STATUS_VALUES)


class Source(models.TextChoices):
    EMAIL = "email"
    WEB = "web"
    PHONE = "phone"
    CHAT = "chat"
    SLACK = "slack"
    API = "api"
    PORTAL = "portal"


class Case(TenantScoped):
    """A customer's issue, question or request. Change it only through `cases.services`."""

    number = models.PositiveBigIntegerField()
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default=Status.NEW)
    sub_status = models.CharField(max_length=80, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices,
                                                default=Priority.NORMAL)
    type = models.CharField(max_length=80, blank=True)
    category = models.CharField(max_length=80, blank=True)
    subcategory = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    language = models.CharField(max_length=20, blank=True,
                                help_text="The customer's language, e.g. de or pt-BR.")
    account = models.ForeignKey("crm.Account", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="cases")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="cases")
    deal = models.ForeignKey("crm.Deal", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="cases")
    queue = models.ForeignKey("routing.Queue", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="cases")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_cases")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    follow_up_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="follow_ups")
    # Merged away into another case (closed as a duplicate): its number resolves there.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_from")
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=80, blank=True)
    closure_note = models.TextField(blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # When the case entered its current status: the anchor of "N days in pending_customer"
    # (automation's time rules).
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # SLA clocks (see casedesk.sla): the policy that set them, each target's due time (None
    # while paused or when no policy applies), when its warning falls due and was sent, and
    # when it was breached. The breach sweep reads these columns only.
    sla_policy = models.ForeignKey("sla.SlaPolicy", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    # The next-response clock runs from a customer's message (after the first response)
    # until an agent's next public reply; its breach is that of the latest such wait.
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="case_unique_number"),
        ]
        indexes = [
            # The case list: newest first, narrowed by one indexed filter.
            models.Index(fields=["tenant", "status", "-number"], name="case_list_status"),
            models.Index(fields=["tenant", "queue", "status", "-number"], name="case_list_queue"),
            models.Index(fields=["tenant", "owner", "status", "-number"], name="case_list_owner"),
            models.Index(fields=["tenant", "priority", "-number"], name="case_list_priority"),
            models.Index(fields=["tenant", "account", "-number"], name="case_list_account"),
            models.Index(fields=["tenant", "contact", "-number"], name="case_list_contact"),
            models.Index(fields=["tenant", "created_at"], name="case_list_created"),
            # The inbox and claim-next: open cases in claim order, per owner and per queue.
            models.Index(fields=["tenant", "owner", "-priority", "created_at", "id"],
                         condition=_IS_OPEN, name="case_inbox_owner"),
            models.Index(fields=["tenant", "queue", "-priority", "created_at", "id"],
                         condition=_IS_OPEN & Q(owner__isnull=True), name="case_inbox_queue"),
            # The SLA sweep: open cases whose clock has not been marked yet, by due time, so
            # its cost follows the cases coming due, not the cases open.
            models.Index(fields=["first_response_due_at"], name="case_sla_first_response",
                         condition=_IS_OPEN & Q(first_response_breached_at__isnull=True,
                                                first_response_at__isnull=True)),
            models.Index(fields=["resolution_due_at"], name="case_sla_resolution",
                         condition=_IS_OPEN & Q(resolution_breached_at__isnull=True)),
            # Only cases waiting on an answer: the rest (nearly all) stay out of it.
            models.Index(fields=["next_response_due_at"], name="case_sla_next_response",
                         condition=_IS_OPEN & Q(next_response_breached_at__isnull=True,
                                                next_response_due_at__isnull=False)),
            models.Index(fields=["first_response_warn_at"], name="case_sla_fr_warning",
                         condition=_IS_OPEN & Q(first_response_warned_at__isnull=True,
                                                first_response_at__isnull=True)),
            models.Index(fields=["resolution_warn_at"], name="case_sla_res_warning",
                         condition=_IS_OPEN & Q(resolution_warned_at__isnull=True)),
            # Automation's time rules: cases by how long they have been in their status.
            models.Index(fields=["tenant", "status", "status_changed_at"],
                         name="case_status_since"),
            # The satisfaction surveys' job: the cases resolved in a recent window.
            models.Index(fields=["tenant", "resolved_at"], name="case_resolved",
                         condition=Q(resolved_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.display_number}: {self.subject}"

    @property
    def display_number(self) -> str:
        return f"{self.tenant.case_prefix}-{self.number}"

    @property
    def priority_name(self) -> str:
        return Priority(self.priority).label

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUS_VALUES


class PicklistKind(models.TextChoices):
    TYPE = "type", "Type"
    CATEGORY = "category", "Category"
    SUBCATEGORY = "subcategory", "Subcategory"
    CLOSED_REASON = "closed_reason", "Closed reason"
    SUB_STATUS = "sub_status", "Sub-status"


class PicklistValue(TenantScoped):
    """One value of a tenant picklist; a subcategory names its category in `parent`.

    A sub-status value names the canonical status it maps onto in `parent`.
    """

    kind = models.CharField(max_length=20, choices=PicklistKind.choices)
    value = models.CharField(max_length=80)
    parent = models.CharField(max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "parent", "value"],
                                    name="picklist_unique_value")
        ]
        ordering = ["kind", "parent", "position", "value"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class CustomFieldDefinition(TenantScoped):
    """A tenant-defined field on cases; values live in `Case.custom_fields` under `key`.

    A retired field (`is_active` off) is offered nowhere, and the cases that have a value for
    it keep that value. The `show_on_*` flags say where the field is offered for input; a
    required field is required only where it is asked for (`cases.customfields`).
    """

    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=[(k.value, k.value) for k in FieldKind])
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True)
    help_text = models.CharField(max_length=300, blank=True)
    show_on_case_page = models.BooleanField(default=True)
    show_on_new_case = models.BooleanField(default=True)
    show_on_web_form = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="customfield_unique_key")
        ]
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.key


class Note(TenantScoped):
    """An internal note or a public reply on a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    is_public = models.BooleanField(default=False)
    # A customer's message (mail, portal) has no member as author: who wrote it, and the
    # quoted history folded away from the new part (kept whole, never dropped).
    author_email = models.EmailField(max_length=254, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    quoted = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"], name="note_case_time")]

    def __str__(self) -> str:
        return f"{'Reply' if self.is_public else 'Note'} on case {self.case_id}"


class NoteAttachment(TenantScoped):
    """A file an agent attached to a note or a public reply (sent with the reply's mail), in
    Django's storage. Files customers send come with their mail (`mail.Attachment`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="note_attachments")
    note = models.ForeignKey(Note, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=150)
    content_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="note-attachments/%Y/%m/", max_length=300)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["note"], name="note_attachment_note")]

    def __str__(self) -> str:
        return self.filename


class Participant(TenantScoped):
    """Someone besides the contact who takes part in a case (copied on its mail): they get
    its public replies, and their mail threads onto it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "email"],
                                               name="participant_unique")]

    def __str__(self) -> str:
        return self.email


class EventKind(models.TextChoices):
    CREATED = "created"
    FIELD_CHANGED = "field_changed"
    STATUS_CHANGED = "status_changed"
    NOTE_ADDED = "note_added"
    REPLY_ADDED = "reply_added"
    CLAIMED = "claimed"
    OWNER_CHANGED = "owner_changed"
    ASSIGNMENT_OPENED = "assignment_opened"
    ASSIGNMENT_CLOSED = "assignment_closed"
    FOLLOW_UP_CREATED = "follow_up_created"
    ROUTED = "routed"
    SLA_BREACHED = "sla_breached"
    ESCALATED = "escalated"
    CUSTOMER_REPLIED = "customer_replied"
    CSAT_ANSWERED = "csat_answered"
    SLA_WARNED = "sla_warned"
    AUTOMATION = "automation"
    LINK_ADDED = "link_added"
    LINK_REMOVED = "link_removed"
    MERGED_INTO = "merged_into"  # on a case merged away: into which case
    MERGED_FROM = "merged_from"  # on the target: which case was merged into it
    MERGE_UNDONE = "merge_undone"
    CALL_LOGGED = "call_logged"  # a phone call, with its note (`calls`)
    CHAT = "chat"  # a live chat handed over, accepted, missed or ended (`chat`)


class TimelineEvent(TenantScoped):
    """One change of a case, in order: the case's history and the automation event log.

    Written in the same transaction as the change it records, so it never disagrees with it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    field = models.CharField(max_length=60, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    message = models.TextField(blank=True)
    note = models.ForeignKey(Note, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "id"], name="timeline_case_order")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class AssignmentStatus(models.TextChoices):
    OPEN = "open"
    CLOSED = "closed"


class CaseAssignment(TenantScoped):
    """Work on a case referred to another team's queue; the case cannot close while open."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    queue = models.ForeignKey("routing.Queue", on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    status = models.CharField(max_length=10, choices=AssignmentStatus.choices,
                              default=AssignmentStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "status"], name="assignment_case_status")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Assignment {self.pk} of case {self.case_id} to {self.queue_id}"


class LinkKind(models.TextChoices):
    """How two cases are linked, read from `from_case` to `to_case`."""

    PARENT_OF = "parent_of", "Parent of"
    RELATED_TO = "related_to", "Related to"
    CAUSED_BY = "caused_by", "Caused by"


class CaseLink(TenantScoped):
    """A link between two cases of one tenant, shown on both (`cases.links`).

    `parent_of`: from is the parent of to (a child has one parent, and no case is its own
    ancestor); `caused_by`: from was caused by to; `related_to` is symmetric, stored once
    with the lower id first so the database refuses the same pair twice.
    """

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_from")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_to")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case", "kind"],
                                    name="caselink_unique"),
            models.UniqueConstraint(fields=["to_case"], condition=Q(kind="parent_of"),
                                    name="caselink_one_parent"),
            models.CheckConstraint(condition=~Q(from_case=F("to_case")),
                                   name="caselink_not_self"),
            models.CheckConstraint(condition=~Q(kind="related_to")
                                   | Q(from_case__lt=F("to_case")),
                                   name="caselink_related_ordered"),
        ]
        indexes = [models.Index(fields=["to_case", "kind"], name="caselink_to_kind")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Case {self.from_case_id} {self.kind} case {self.to_case_id}"


class CaseMerge(TenantScoped):
    """One case merged into another (`cases.merge`): what moved, and the merged case's state
    before it closed, so an undo puts everything back exactly. The sources merged in one go
    share a `batch`, and are undone together."""

    batch = models.UUIDField()
    target = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="merges_in")
    source = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="merges_out")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField()
    # Ids of the rows that moved, and the rows dropped or added, by kind.
    moved = models.JSONField(default=dict)
    # The source's fields the closure changed, as they were.
    source_state = models.JSONField(default=dict)
    # The newest timeline event of the cases involved once the merge was written: a later
    # one means something was added since, and the merge can no longer be undone.
    last_event_id = models.BigIntegerField(default=0)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["target", "-merged_at"], name="casemerge_target"),
            models.Index(fields=["source", "-merged_at"], name="casemerge_source"),
            models.Index(fields=["batch"], name="casemerge_batch"),
        ]

    def __str__(self) -> str:
        return f"Case {self.source_id} merged into case {self.target_id}"


class IdempotencyKey(TenantScoped):
    """Remembers which case an `Idempotency-Key` made, so a retried create returns it."""

    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return self.key

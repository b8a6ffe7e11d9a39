"""API schemas for cases: separate input and output shapes."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from casedesk.cases.models import Case
from casedesk.cases.writing import MAX_TAG_LENGTH, MAX_TAGS
from casedesk.core.limits import max_length
from casedesk.core.priority import PriorityName
from casedesk.core.schemas import (
    MAX_ID,
    Id,
    LongText,
    RefOut,
    RequiredText,
    Text,
    check_json_text,
    fits,
)
from casedesk.tenancy.presenters import PersonOut

SourceName = Literal["email", "web", "phone", "chat", "slack", "api", "portal"]
StatusName = Literal["new", "open", "in_progress", "pending_customer", "resolved", "closed"]
# Picklist values, as long as the case's column holds (the tenant's picklist decides which).
TypeValue = Annotated[str, fits(Case, "type"), AfterValidator(str.strip)]
Category = Annotated[str, fits(Case, "category"), AfterValidator(str.strip)]
Subcategory = Annotated[str, fits(Case, "subcategory"), AfterValidator(str.strip)]
SubStatus = Annotated[str, fits(Case, "sub_status"), AfterValidator(str.strip)]
Tag = Annotated[Text, Field(max_length=MAX_TAG_LENGTH)]
CustomFields = Annotated[dict[str, Any], AfterValidator(check_json_text)]
Subject = Annotated[RequiredText, fits(Case, "subject", description=(
    "One line: line breaks, tabs and other control characters in it are turned into single "
    "spaces (the subject becomes the Subject header of the case's mail)."))]
Language = Annotated[Text, fits(Case, "language", description=(
    "The customer's language as a tag such as `en`, `de` or `pt-BR` (routing may need an "
    "agent who speaks it); empty when unknown."))]


class CaseIn(Schema):
    subject: Subject
    description: LongText = ""
    priority: PriorityName = "normal"
    type: TypeValue = ""
    category: Category = ""
    subcategory: Subcategory = ""
    source: SourceName = "api"
    language: Language = ""
    account_id: Id | None = None
    contact_id: Id | None = None
    deal_id: Id | None = None
    queue_id: Id | None = None
    owner_id: Id | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    custom_fields: CustomFields = Field(default_factory=dict)


class CasePatch(Schema):
    subject: Subject | None = None
    description: LongText | None = None
    priority: PriorityName | None = None
    type: TypeValue | None = None
    category: Category | None = None
    subcategory: Subcategory | None = None
    sub_status: SubStatus | None = None
    source: SourceName | None = None
    language: Language | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    deal_id: Id | None = None
    queue_id: Id | None = None
    owner_id: Id | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    custom_fields: CustomFields | None = None
    status: Annotated[Text, fits(Case, "status")] | None = Field(
        default=None, description="Not writable: use transitions.")


class TransitionIn(Schema):
    to: Annotated[Text, Field(max_length=40)]
    note: LongText = ""
    closed_reason: Annotated[Text, fits(Case, "closed_reason")] = ""


class NoteIn(Schema):
    body: Annotated[Text, Field(min_length=1, max_length=200_000)]
    public: bool = False
    attachment_ids: list[Id] = Field(default_factory=list, max_length=10, description=(
        "Files to carry: your own uploads to this case not yet attached "
        "(`POST /cases/{number}/attachments`). A public reply mails them with it."))


class OwnerIn(Schema):
    owner_id: Id | None = None
    queue_id: Id | None = None


class AssignmentIn(Schema):
    queue_id: Id
    description: Annotated[Text, Field(min_length=1, max_length=10_000)]


class AssignmentCloseIn(Schema):
    note: Annotated[Text, Field(min_length=1, max_length=10_000)]


class FollowUpIn(Schema):
    subject: Annotated[Text, fits(Case, "subject")] | None = None
    description: LongText = ""


class CaseListFilters(Schema):
    """The filters of `GET /cases`, declared once: the list and its export
    (`GET /export/cases`) read the same query parameters (`cases.api.list_filters`). The
    two that repeat, `status` and `priority`, are each handler's own parameters:
    django-ninja names a bad item of a list inside a schema by the schema's parameter
    (`filters.status.0`) rather than as the client sent it (`status.0`)."""

    queue: str | None = Field(None, max_length=20, description="Queue id, or `none`.")
    owner: str | None = Field(None, max_length=20, description="User id, `me` or `none`.")
    account: int | None = Field(None, ge=1, le=MAX_ID)
    contact: int | None = Field(None, ge=1, le=MAX_ID)
    type: str | None = Field(None, max_length=max_length(Case, "type"))
    category: str | None = Field(None, max_length=max_length(Case, "category"))
    open: bool = Field(False, description="Only cases not resolved or closed.")
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: Text | None = Field(None, max_length=200, description="Words in subject or description.")
    sla: Literal["breached"] | None = Field(None, description=(
        "`breached`: open cases with an SLA target marked breached by a sweep."))
    breaching_within_hours: int | None = Field(None, ge=1, le=720, description=(
        "Open cases with an SLA clock running that comes due within this many hours "
        "(overdue ones the sweep has not marked yet included)."))
    csat: Literal["good", "bad", "rated"] | None = Field(None, description=(
        "The customer's satisfaction answer: `good` (4 or 5, or good), `bad` (1 or 2, or "
        "bad), `rated` (any answer)."))
    has_open_children: bool = Field(False, description=(
        "Only parent cases with a child case still open (new, open, in progress or pending)."))


ClockState = Literal["none", "running", "warning", "breached", "met", "paused", "stopped"]


class ClockOut(Schema):
    target: Literal["first_response", "resolution", "next_response"]
    state: ClockState = Field(description=(
        "`none` (no policy applies), `running`, `warning` (past its warning milestone), "
        "`breached` (overdue, marked or not yet by a sweep), `met`, `paused` (waiting on the "
        "customer) or `stopped` (resolved or closed before it was due)."))
    due_at: datetime | None
    breached_at: datetime | None
    remaining_seconds: int | None = Field(description=(
        "Until due while the clock runs; negative once overdue."))


class SlaOut(Schema):
    policy: str | None = Field(description="The SLA policy that set the clocks.")
    clocks: list[ClockOut]
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None


class CaseOut(Schema):
    number: str
    subject: str
    description: str
    status: StatusName
    sub_status: str
    priority: PriorityName
    type: str
    category: str
    subcategory: str
    source: SourceName
    language: str
    account: RefOut | None
    contact: PersonOut | None
    deal_id: int | None
    queue: RefOut | None
    owner: PersonOut | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    closed_reason: str
    closure_note: str
    reopen_count: int
    follow_up_of: str | None
    age_seconds: int
    allowed_transitions: list[StatusName]
    sla: SlaOut


class CaseCsatOut(Schema):
    """The customer's answer to the case's satisfaction survey (1 to 5; good is 5, bad 1)."""

    rating: int
    comment: str
    answered_at: datetime


class CaseDetailOut(CaseOut):
    csat: CaseCsatOut | None


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class NoteMailOut(Schema):
    """What became of the mail carrying an agent's public reply."""

    outbound_id: int
    status: str  # pending, sending, sent, failed
    to: list[str]
    cc: list[str]
    attempts: int
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str


class NoteAttachmentOut(Schema):
    id: int
    filename: str = Field(description="Made safe: no path, no control characters.")
    content_type: str = Field(description="Read from the file's bytes, not its name.")
    size: int = Field(description="Bytes.")
    note_id: int | None = Field(description="The note carrying it; null while pending.")
    pending: bool = Field(description="Uploaded and not attached to a note yet: only its "
                                      "uploader sees it, and it is removed after a day.")
    created_at: datetime
    download_url: str


class NoteOut(Schema):
    id: int
    body: str
    public: bool
    author: PersonOut | None
    created_at: datetime
    mail: NoteMailOut | None = Field(
        None, description="For an agent's public reply: its mail to the customer (null when "
                          "nobody had an address, and for notes and customers' messages).")
    attachments: list[NoteAttachmentOut] = Field(
        default_factory=list, description="The files the note carries (a public reply's went "
                                          "out with its mail).")


class TimelineEventOut(Schema):
    id: int
    kind: str
    actor: PersonOut | None
    field: str
    old_value: Any = None
    new_value: Any = None
    message: str
    note: NoteOut | None
    created_at: datetime
    via: str = Field("", description=(
        "How an API token did it, when one did through the MCP server: "
        "\"MCP · <token name>\"; empty otherwise."))


class TimelinePage(Schema):
    items: list[TimelineEventOut]
    next_cursor: str | None


class AssignmentOut(Schema):
    id: int
    queue: RefOut
    description: str
    status: Literal["open", "closed"]
    opened_by: PersonOut | None
    opened_at: datetime
    closed_by: PersonOut | None
    closed_at: datetime | None
    closing_note: str


class InboxQueueOut(Schema):
    id: int
    name: str
    waiting: int


class InboxPage(Schema):
    items: list[CaseOut]
    next_cursor: str | None
    queues: list[InboxQueueOut]

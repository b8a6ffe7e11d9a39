"""The tasks API's shapes."""

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

from casedesk.core.schemas import Id, RefOut, RequiredText, Text, fits
from casedesk.tasks.models import Task
from casedesk.tasks.services import NOTES_MAX
from casedesk.tenancy.presenters import PersonOut

CaseNumber = Annotated[Text, Field(min_length=1, max_length=30,
                                   description="The case as shown, e.g. `CS-1042`")]
Subject = Annotated[RequiredText, fits(Task, "subject")]
Notes = Annotated[Text, Field(max_length=NOTES_MAX)]


class TaskIn(Schema):
    subject: Subject
    notes: Notes = ""
    due_at: datetime | None = Field(None, description="With a zone offset; stored in UTC")
    owner_id: Id | None = Field(None, description=(
        "An active member's user id; without it the task is yours"))
    case: CaseNumber | None = Field(None, description=(
        "The case the task is about; its account and contact are taken unless given"))
    account_id: Id | None = None
    contact_id: Id | None = None


class TaskPatch(Schema):
    subject: Subject | None = None
    notes: Notes | None = None
    due_at: datetime | None = Field(None, description="null clears the due time")
    owner_id: Id | None = Field(None, description="null leaves the task without an owner")
    account_id: Id | None = None
    contact_id: Id | None = None
    is_done: bool | None = Field(None, description="true marks it done, false open again")


class TaskOut(Schema):
    id: int
    subject: str
    notes: str
    due_at: datetime | None
    is_overdue: bool
    owner: PersonOut | None
    case_number: str | None
    account: RefOut | None
    contact: RefOut | None
    is_done: bool
    done_at: datetime | None
    done_by: PersonOut | None
    created_by: PersonOut | None
    made_by_rule_id: int | None
    created_at: datetime
    updated_at: datetime


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None

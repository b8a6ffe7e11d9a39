"""The calls API's shapes: a call in and out, and a phone case made with its call."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from casedesk.calls.domain import NOTES_MAX, NUMBER_MAX_LENGTH, NUMBER_MIN_LENGTH
from casedesk.calls.models import MAX_DURATION_SECONDS
from casedesk.cases.schemas import CaseIn, CaseOut
from casedesk.core.schemas import Text
from casedesk.tenancy.presenters import PersonOut

DirectionName = Literal["inbound", "outbound"]
OutcomeName = Literal["answered", "no_answer", "busy", "voicemail", "failed"]
# Room for the spaces around a pasted number, which are trimmed before it is checked.
Number = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=2 * NUMBER_MAX_LENGTH,
        description=(
            f"The other party's phone number as written: digits (at least three) with an optional "
            f"leading `+`, spaces, dashes, dots and parentheses; {NUMBER_MIN_LENGTH} to "
            f"{NUMBER_MAX_LENGTH} characters once trimmed. Kept as typed."
        ),
        examples=["+44 20 7946 0958"],
    ),
]
Notes = Annotated[Text, Field(max_length=NOTES_MAX, description="What was said (plain text)")]


class CallIn(Schema):
    direction: DirectionName = Field(
        description="`inbound`: the customer called; `outbound`: we called them"
    )
    number: Number
    duration_seconds: int = Field(
        0, ge=0, le=MAX_DURATION_SECONDS, description="How long the call lasted, in seconds"
    )
    outcome: OutcomeName = "answered"
    notes: Notes = ""
    started_at: datetime | None = Field(
        None,
        description=(
            "When the call started, with a zone offset; at most a minute ahead of the server's "
            "clock. Without it: now"
        ),
    )


class CallOut(Schema):
    id: int
    case_number: str = Field(description="The case as shown, e.g. `CS-1042`")
    direction: DirectionName
    number: str
    duration_seconds: int
    outcome: OutcomeName
    notes: str
    started_at: datetime
    logged_by: PersonOut | None
    created_at: datetime


class PhoneCaseFields(CaseIn):
    """A new case's fields (as `POST /cases` takes them); its source is `phone`."""

    source: Literal["phone"] = "phone"


class PhoneCaseIn(CallIn):
    case: PhoneCaseFields = Field(description="The new case, as `POST /cases` takes it")


class PhoneCaseOut(Schema):
    case: CaseOut
    call: CallOut

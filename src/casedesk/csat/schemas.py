"""The CSAT API's shapes."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casedesk.core.schemas import Id
from casedesk.csat.models import MAX_DELAY_HOURS

ScaleName = Literal["good_bad", "one_to_five"]


class SurveyOut(Schema):
    case_number: str
    scale: ScaleName
    rating: int | None = Field(description="1 to 5; on the good/bad scale good is 5, bad 1")
    rating_label: str
    comment: str
    sent_at: datetime
    answered_at: datetime | None


class SurveyPage(Schema):
    items: list[SurveyOut]
    next_cursor: str | None


class CsatSettingsOut(Schema):
    enabled: bool
    delay_hours: int
    queues: list[int] = Field(description="Queue ids whose cases are surveyed; empty: all")
    scale: ScaleName


class CsatSettingsPatch(Schema):
    enabled: bool | None = None
    delay_hours: int | None = Field(None, ge=0, le=MAX_DELAY_HOURS)
    queues: list[Id] | None = Field(None, max_length=500)
    scale: ScaleName | None = None

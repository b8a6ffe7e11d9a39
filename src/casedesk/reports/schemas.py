"""The shapes of the scorecard API (`reports/scorecard_api.py`): durations in seconds (floats,
null when nothing was measured), rates as fractions 0..1 (null when there is nothing to
divide), changes relative to the previous period. Names start with `Report` (ninja's schema
names are one namespace across the project)."""

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casedesk.core.priority import PriorityName

# The period names and case sources a query may name; tests hold them to
# `periods.PERIODS` and `scorecard.SOURCES`.
ReportPeriodName = Literal["this_week", "last_7_days", "last_30_days", "this_month",
                           "last_month", "this_quarter", "last_quarter", "custom"]
ReportSource = Literal["email", "web", "phone", "chat", "slack", "api", "portal"]


class ReportPeriodOut(Schema):
    key: str = Field(description="The period's name; `previous` for the one compared with")
    label: str
    first: date = Field(description="First local day, included")
    last: date = Field(description="Last local day, included")
    start: datetime = Field(description="Local midnight starting the first day, in UTC")
    end: datetime = Field(description="Local midnight ending the last day, in UTC")
    time_zone: str


class ReportFiltersOut(Schema):
    """The filters the figures were computed with: an agent's are always their own cases."""

    queue: int | None = Field(description="Queue id")
    team: int | None = Field(description="A manager's membership id: their reports' cases")
    agent: int | None = Field(description="The owner's user id")
    priority: PriorityName | None
    category: str | None
    source: str | None
    tier: str | None = Field(description="The account's tier")


class ReportSpread(Schema):
    count: int = Field(description="Durations measured")
    median: float | None = Field(description="Seconds")
    p90: float | None = Field(description="90th percentile, seconds")


class ReportTarget(Schema):
    met: int
    breached: int
    pending: int = Field(description="Not done yet, not breached yet")
    attainment: float | None = Field(description="met / (met + breached)")


class ReportTargets(Schema):
    first_response: ReportTarget
    resolution: ReportTarget


class ReportDeflection(Schema):
    views: int
    suggestions_shown: int
    opened: int
    solved: int
    self_service_deflections: int
    self_service_reads: int
    deflection_rate: float | None = Field(
        description="(solved + self-service deflections) / (opened + self-service reads)")


class ReportFigures(Schema):
    created: int
    resolved: int = Field(description="Cases whose current resolution fell in the period")
    closed: int
    backlog: int = Field(description="Open cases at the end of the period")
    first_response: ReportSpread = Field(description="Calendar time to the first response")
    first_response_business: ReportSpread = Field(
        description="The same on the SLA clock: business hours, less pauses")
    resolution: ReportSpread
    resolution_business: ReportSpread
    sla: ReportTargets = Field(description="Outcomes of the cases created in the period")
    reopened: int
    reopen_rate: float | None = Field(description="Re-opened of resolved")
    one_touch: int
    one_touch_rate: float | None = Field(
        description="Resolved with exactly one agent reply and never re-opened, of resolved")
    csat_rated: int
    csat_satisfied: int
    csat_score: float | None = Field(description="Satisfied (4 or 5 of 5) of rated")
    deflection: ReportDeflection = Field(description="The whole tenant's knowledge base")


class ReportChange(Schema):
    """How each headline figure moved since the previous period, as the page shows it:
    counts and durations relative, (current − previous) / |previous| (null when the previous
    one is 0); rates as the difference of the fractions, current − previous (0.03 is 3
    percentage points). Null when either figure is missing."""

    created: float | None
    resolved: float | None
    closed: float | None
    backlog: float | None
    first_response_median: float | None
    first_response_p90: float | None
    first_response_business_median: float | None
    resolution_median: float | None
    resolution_p90: float | None
    resolution_business_median: float | None
    first_response_attainment: float | None
    resolution_attainment: float | None
    reopen_rate: float | None
    one_touch_rate: float | None
    csat_score: float | None
    deflection_rate: float | None


class ReportDay(Schema):
    day: date = Field(description="A local day")
    created: int
    resolved: int
    backlog: int = Field(description="Open cases at the end of the day")
    first_response_median: float | None = Field(description="Seconds")
    resolution_median: float | None = Field(description="Seconds")
    csat_rated: int
    csat_satisfied: int
    csat_score: float | None


class ReportQueueSla(Schema):
    queue_id: int | None = Field(description="null: cases in no queue")
    name: str
    sla: ReportTargets


class ReportScorecardOut(Schema):
    period: ReportPeriodOut
    previous_period: ReportPeriodOut = Field(description="As many days, right before")
    filters: ReportFiltersOut
    current: ReportFigures
    previous: ReportFigures
    change: ReportChange
    days: list[ReportDay] = Field(description="Each local day of the period")
    heat: list[list[int]] = Field(description=(
        "Cases created by local weekday and hour: 7 rows in ISO order (Monday first) of 24 "
        "hours"))
    sla_by_queue: list[ReportQueueSla] = Field(
        description="Queues with an SLA outcome in the period, by name")


class ReportGroupFigures(Schema):
    """What the agent and the queue reports show of each row."""

    name: str
    assigned: int = Field(description="Cases created in the period that are the agent's "
                                      "(or in the queue) now")
    resolved: int
    first_response: ReportSpread
    resolution: ReportSpread
    sla: ReportTargets
    sla_attainment: float | None = Field(description="Both targets: met / (met + breached)")
    csat_rated: int
    csat_satisfied: int
    csat_score: float | None
    open_now: int = Field(description="Open cases now, whatever the period")


class ReportAgentRow(ReportGroupFigures):
    user_id: int | None = Field(description="null: unassigned cases")


class ReportQueueRow(ReportGroupFigures):
    queue_id: int | None = Field(description="null: cases in no queue")
    claim_wait: ReportSpread = Field(description="From creation to the first claim")


class ReportAgentsOut(Schema):
    period: ReportPeriodOut
    filters: ReportFiltersOut
    agents: list[ReportAgentRow]


class ReportQueuesOut(Schema):
    period: ReportPeriodOut
    filters: ReportFiltersOut
    queues: list[ReportQueueRow]

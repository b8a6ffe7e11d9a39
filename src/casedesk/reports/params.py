"""The period and filters of a report, read from a query string: one parser for the pages,
the CSV downloads and the API, so `?period=last_30_days&queue=3` means the same everywhere.

Names: `period` (see `periods.PERIODS`; default last 30 days), `since` and `until` (ISO
dates, local, both included; a custom period), `queue`, `team` (a manager's membership id),
`agent` (a user id), `priority` (low, normal, high, urgent, or 1 to 4), `category`, `source`,
`tier` (the account's tier). A bad value is `Invalid` naming the parameter.
"""

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from casedesk.core.errors import Invalid
from casedesk.core.priority import parse_priority
from casedesk.reports.periods import DEFAULT_PERIOD, Period, period_of
from casedesk.reports.scorecard import ReportFilters, check_filters
from casedesk.tenancy.models import Membership, Tenant

TEXT_MAX = 80


def zone_of(tenant: Tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.time_zone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def report_period(tenant: Tenant, query: Mapping[str, str], now: datetime) -> Period:
    zone = zone_of(tenant)
    key = (query.get("period") or "").strip()
    first, last = _day(query, "since"), _day(query, "until")
    if not key:
        key = "custom" if first or last else DEFAULT_PERIOD
    return period_of(key, today=now.astimezone(zone).date(), zone=zone, first=first, last=last)


def report_filters(membership: Membership, query: Mapping[str, str]) -> ReportFilters:
    """The filters asked for; an agent's reports are always their own cases."""
    tenant = membership.tenant
    priority = (query.get("priority") or "").strip()
    filters = ReportFilters(
        queue_id=_id(query, "queue"), team_id=_id(query, "team"), owner_id=_id(query, "agent"),
        priority=_priority(priority) if priority else None,
        category=_text(query, "category"), source=_text(query, "source"),
        tier=_text(query, "tier"))
    if not membership.is_manager:
        filters = ReportFilters(**{**filters.__dict__, "owner_id": membership.user_id,
                                   "team_id": None})
    check_filters(tenant, filters)
    return filters


def _day(query: Mapping[str, str], name: str) -> date | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{name} must be a date as YYYY-MM-DD.", field=name) from None


def _id(query: Mapping[str, str], name: str) -> int | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise Invalid(f"{name} must be an id.", field=name)
    return int(raw)


def _priority(raw: str) -> int:
    value: str | int = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 1 else raw
    return parse_priority(value, "The priority", field="priority")


def _text(query: Mapping[str, str], name: str) -> str | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    if len(raw) > TEXT_MAX or "\x00" in raw:
        raise Invalid(f"{name} is at most {TEXT_MAX} characters.", field=name)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(f"{name} is not valid text.", field=name) from None
    return raw

"""The forecast's data: hourly history read from the facts in the tenant's zone, the measured
handle time, the first-response target, and the whole forecast on a small fixed history."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from casedesk.cases.ownership import case_claim
from casedesk.cases.services import case_add_note
from casedesk.core.priority import Priority
from casedesk.reports.forecast_data import (
    DEFAULT_HANDLE_SECONDS,
    DEFAULT_TARGET_MINUTES,
    HANDLE_MIN_SAMPLES,
    dominant_target,
    forecast_for,
    handle_time,
    hourly_history,
)
from casedesk.reports.rollup import facts_refresh
from casedesk.routing.models import Queue
from casedesk.sla.models import SlaPolicy
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import make_case

BERLIN = ZoneInfo("Europe/Berlin")


def at(tenant: Tenant, moments: Iterable[datetime], queue: Queue | None = None) -> None:
    """A case created at each moment (in `queue`), the facts refreshed."""
    for moment in moments:
        make_case(tenant, now=moment, queue_id=queue.pk if queue is not None else None)
    facts_refresh()


def office_hours(tenant: Tenant, *, weeks: int, until: date,
                 queue: Queue | None = None) -> None:
    """One case at the start of every hour from 09:00 to 16:00 local, Monday to Friday, for
    the `weeks` whole weeks before `until` (a Monday): 40 cases a week."""
    zone = ZoneInfo(tenant.time_zone)
    first = until - timedelta(weeks=weeks)
    at(tenant, [datetime.combine(first + timedelta(days=d), time(h), tzinfo=zone)
                for d in range(weeks * 7) if (first + timedelta(days=d)).weekday() < 5
                for h in range(9, 17)], queue)


def berlin(tenant: Tenant) -> Tenant:
    tenant.time_zone = "Europe/Berlin"
    tenant.save(update_fields=["time_zone"])
    return tenant


def local_midnight(day: date, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- hourly history ------------------------------------------------------------------------

def test_history_counts_local_wall_clock_hours_across_the_autumn_clock_change(
        tenant: Tenant, other_tenant: Tenant, finance: Queue) -> None:
    # Berlin's clocks go back at 03:00 CEST on Sunday 25 October 2026 (01:00 UTC).
    berlin(tenant)
    at(tenant, [
        utc(2026, 10, 18, 21, 59),  # Sun 18 Oct 23:59 CEST: before the window
        utc(2026, 10, 21, 7, 5),    # Wed 21 Oct 09:05 CEST: the first day with a case
        utc(2026, 10, 24, 22, 30),  # Sun 25 Oct 00:30 CEST: Sunday locally, Saturday in UTC
        utc(2026, 10, 25, 0, 15),   # 02:15 CEST, the first reading of 02:00
        utc(2026, 10, 25, 1, 45),   # 02:45 CET, the second reading
        utc(2026, 10, 25, 2, 10),   # 03:10 CET
        utc(2026, 10, 26, 8, 59),   # Mon 26 Oct 09:59 CET
        utc(2026, 10, 27, 22, 59),  # Tue 27 Oct 23:59 CET: the last hour
        utc(2026, 10, 27, 23, 0),   # Wed 28 Oct 00:00 CET: at the window's end, out
    ])
    at(other_tenant, [utc(2026, 10, 22, 10, 0)])

    series = hourly_history(tenant, None, since=local_midnight(date(2026, 10, 19)),
                            until=local_midnight(date(2026, 10, 28)))

    assert series is not None
    assert series.start == datetime(2026, 10, 21, tzinfo=BERLIN)
    assert series.counts.size == 7 * 24
    expected = np.zeros(7 * 24)
    expected[9] = 1                    # Wed 09:00
    expected[4 * 24 + 0] = 1           # Sun 00:00
    expected[4 * 24 + 2] = 2           # Sun 02:00, both readings
    expected[4 * 24 + 3] = 1           # Sun 03:00
    expected[5 * 24 + 9] = 1           # Mon 09:00
    expected[6 * 24 + 23] = 1          # Tue 23:00
    assert series.counts.tolist() == expected.tolist()


def test_history_skips_the_spring_hour_and_buckets_half_hour_zones_locally(
        tenant: Tenant) -> None:
    tenant.time_zone = "Asia/Kolkata"  # UTC+05:30: a UTC hour straddles two local ones
    tenant.save(update_fields=["time_zone"])
    at(tenant, [utc(2026, 3, 2, 10, 15), utc(2026, 3, 2, 10, 45), utc(2026, 3, 2, 18, 29),
                utc(2026, 3, 2, 18, 31)])
    zone = ZoneInfo("Asia/Kolkata")

    series = hourly_history(tenant, None, since=local_midnight(date(2026, 3, 1), zone),
                            until=local_midnight(date(2026, 3, 4), zone))

    assert series is not None
    assert series.start == datetime(2026, 3, 2, tzinfo=zone)
    hours = {i: int(n) for i, n in enumerate(series.counts) if n}
    # 15:45 and 16:15 IST on 2 March; 23:59 IST on the 2nd; 00:01 IST on the 3rd.
    assert hours == {15: 1, 16: 1, 23: 1, 24: 1}


def test_history_of_a_spring_forward_day_keeps_24_hours(tenant: Tenant) -> None:
    # Berlin skips 02:00-03:00 on Sunday 29 March 2026: 01:30 UTC is 03:30 CEST.
    berlin(tenant)
    at(tenant, [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)])

    series = hourly_history(tenant, None, since=local_midnight(date(2026, 3, 23)),
                            until=local_midnight(date(2026, 3, 30)))

    assert series is not None and series.counts.size == 24
    assert {i: int(n) for i, n in enumerate(series.counts) if n} == {1: 1, 3: 1}


def test_history_of_one_queue_and_of_nothing(tenant: Tenant, finance: Queue,
                                             engineering: Queue) -> None:
    at(tenant, [utc(2026, 11, 2, 9)], finance)
    at(tenant, [utc(2026, 11, 2, 10), utc(2026, 11, 3, 10)], engineering)
    since, until = utc(2026, 11, 1), utc(2026, 11, 9)

    finance_only = hourly_history(tenant, finance.pk, since=since, until=until)
    assert finance_only is not None
    assert {i: int(n) for i, n in enumerate(finance_only.counts) if n} == {9: 1}
    assert hourly_history(tenant, engineering.pk, since=since, until=until).counts.sum() == 2
    assert hourly_history(tenant, finance.pk, since=until, until=until + timedelta(days=7)) \
        is None


# --- handle time -----------------------------------------------------------------------------

def answered(tenant: Tenant, manager: Membership, queue: Queue, waits: Iterable[timedelta],
             start: datetime = NOW - timedelta(days=20)) -> None:
    """Cases claimed by the manager a minute after they came, answered `wait` after the
    claim, one every six hours from `start`."""
    for i, wait in enumerate(waits):
        created = start + timedelta(hours=6 * i)
        case = make_case(tenant, now=created, queue_id=queue.pk)
        claimed = created + timedelta(minutes=1)
        case = case_claim(case=case, membership=manager, now=claimed)
        case_add_note(case=case, actor=manager.user, body="On it.", is_public=True,
                      now=claimed + wait)
    facts_refresh()


def test_handle_time_is_the_median_from_claim_to_first_reply_each_time_bounded(
        tenant: Tenant, manager: Membership, finance: Queue) -> None:
    # Half answered 5 s after the claim, half after 5 h: held to 1 minute and 2 hours.
    half = HANDLE_MIN_SAMPLES // 2 + 1
    answered(tenant, manager, finance, [timedelta(seconds=5)] * half + [timedelta(hours=5)] * half)
    # Neither a reply before the claim nor a case never claimed is a handle time.
    unclaimed = make_case(tenant, now=NOW - timedelta(days=3), queue_id=finance.pk)
    case_add_note(case=unclaimed, actor=manager.user, body="Hello", is_public=True,
                  now=NOW - timedelta(days=3) + timedelta(minutes=2))
    facts_refresh()

    measured = handle_time(tenant, finance.pk, until=NOW)

    assert measured.source == "queue"
    assert measured.samples == 2 * half
    assert measured.seconds == (60 + 2 * 3600) / 2


def test_handle_time_falls_back_to_the_tenant_then_to_the_default(
        tenant: Tenant, manager: Membership, finance: Queue, engineering: Queue) -> None:
    assert handle_time(tenant, finance.pk, until=NOW).source == "default"
    assert handle_time(tenant, None, until=NOW).seconds == DEFAULT_HANDLE_SECONDS

    answered(tenant, manager, engineering, [timedelta(minutes=m)
                                            for m in range(1, HANDLE_MIN_SAMPLES + 2)])
    answered(tenant, manager, finance, [timedelta(minutes=30)])

    from_tenant = handle_time(tenant, finance.pk, until=NOW)
    assert from_tenant.source == "tenant"
    assert from_tenant.samples == HANDLE_MIN_SAMPLES + 2
    # Minutes 1..21 and one of 30: the median of 22 values is between 11 and 12 minutes.
    assert from_tenant.seconds == 11.5 * 60
    # Twelve weeks later nothing is recent enough to measure.
    assert handle_time(tenant, None, until=NOW + timedelta(weeks=13)).source == "default"


# --- the first-response target ------------------------------------------------------------

def test_target_is_the_policy_most_of_the_queue_s_cases_have(
        tenant: Tenant, finance: Queue, engineering: Queue) -> None:
    for priority, count in ((Priority.HIGH, 3), (Priority.NORMAL, 2)):
        for _ in range(count):
            make_case(tenant, now=NOW - timedelta(days=1), queue_id=finance.pk,
                      priority=priority)
    for _ in range(4):
        make_case(tenant, now=NOW - timedelta(days=1), queue_id=engineering.pk,
                  priority=Priority.URGENT)
    facts_refresh()
    high = SlaPolicy.objects.get(tenant=tenant, name="High priority")

    target = dominant_target(tenant, finance.pk, until=NOW)
    assert (target.minutes, target.source, target.policy_id) == (
        high.first_response_minutes, "policy", high.pk)
    assert dominant_target(tenant, None, until=NOW).policy_name == "Urgent priority"


def test_target_ties_go_to_the_policy_first_in_order(tenant: Tenant, finance: Queue) -> None:
    make_case(tenant, now=NOW - timedelta(days=1), queue_id=finance.pk, priority=Priority.LOW)
    make_case(tenant, now=NOW - timedelta(days=1), queue_id=finance.pk,
              priority=Priority.URGENT)
    facts_refresh()

    assert dominant_target(tenant, finance.pk, until=NOW).policy_name == "Urgent priority"


def test_target_without_a_policy_is_the_default_and_yours_wins(
        tenant: Tenant, finance: Queue) -> None:
    SlaPolicy.objects.filter(tenant=tenant).update(is_enabled=False)
    make_case(tenant, now=NOW - timedelta(days=1), queue_id=finance.pk)
    facts_refresh()

    assert dominant_target(tenant, finance.pk, until=NOW).minutes == DEFAULT_TARGET_MINUTES
    assert dominant_target(tenant, finance.pk, until=NOW).source == "default"
    mine = forecast_for(tenant, finance, NOW, target_minutes=17).target
    assert (mine.minutes, mine.source) == (17, "user")


# --- the whole forecast -------------------------------------------------------------------

def test_forecast_without_history_is_zero_and_flagged(tenant: Tenant) -> None:
    forecast = forecast_for(tenant, None, NOW)

    assert not forecast.has_history and forecast.method == "none"
    assert forecast.history_start is None and forecast.backtest is None
    # NOW is Monday 23 November: this week and 8 more, every day of them.
    assert [w.start for w in forecast.weekly][:2] == [date(2026, 11, 23), date(2026, 11, 30)]
    assert len(forecast.weekly) == 9 and len(forecast.daily) == 63
    assert all(w.expected == 0 for w in forecast.weekly)
    assert forecast.staffing_week == date(2026, 11, 30)
    assert len(forecast.staffing) == 168 and forecast.staffing_peak == 0
    assert forecast.handle.source == "default" and forecast.target.source == "default"


def test_forecast_with_a_few_days_uses_the_weekday_hour_average(tenant: Tenant) -> None:
    berlin(tenant)
    office_hours(tenant, weeks=1, until=date(2026, 11, 23))

    forecast = forecast_for(tenant, None, NOW)

    assert forecast.has_history and not forecast.enough_history
    assert forecast.method == "profile" and forecast.backtest is None
    assert forecast.history_cases == 40
    assert [round(d.expected, 9) for d in forecast.daily[:7]] == [8, 8, 8, 8, 8, 0, 0]


def test_forecast_on_six_steady_weeks_across_a_clock_change(
        tenant: Tenant, finance: Queue) -> None:
    # 40 cases every week, 09:00-17:00 Berlin time on weekdays, through the October change;
    # NOW (Monday 23 November, 10:00 in Berlin) ends the history at that day's midnight.
    berlin(tenant)
    office_hours(tenant, weeks=6, until=date(2026, 11, 23), queue=finance)
    make_case(tenant, now=NOW, queue_id=finance.pk)  # today's: not history yet
    facts_refresh()

    forecast = forecast_for(tenant, finance, NOW, service_level=90, target_minutes=30)

    assert forecast.enough_history and forecast.method == "weekly_ets"
    assert forecast.history_start == date(2026, 10, 12)
    assert (forecast.history_cases, forecast.history_weeks) == (240, 6)
    assert [w.cases for w in forecast.past_weeks] == [40] * 6
    # Identical weeks forecast themselves, on the same weekday-hour profile.
    assert [round(w.expected, 6) for w in forecast.weekly] == [40.0] * 9
    assert [round(d.expected, 6) for d in forecast.daily[:7]] == [8, 8, 8, 8, 8, 0, 0]
    assert forecast.backtest is not None and forecast.backtest.holdout_weeks == 2
    assert forecast.backtest.model.mae_daily == pytest.approx(0, abs=1e-9)
    # One case an hour, 15 minutes each (no reply measured yet), within 30 minutes at 90 %:
    # one agent from 09:00 to 17:00 on weekdays, none otherwise.
    assert forecast.handle.seconds == DEFAULT_HANDLE_SECONDS
    staffed = {(row.start.weekday(), row.start.hour) for row in forecast.staffing
               if row.agents}
    assert staffed == {(day, hour) for day in range(5) for hour in range(9, 17)}
    assert forecast.staffing_peak == 1
    assert forecast.staffing[9].start == datetime(2026, 11, 30, 9, tzinfo=BERLIN)
    assert forecast.staffing[9].service_level >= 0.9


def test_forecast_refuses_figures_out_of_range(tenant: Tenant) -> None:
    with pytest.raises(ValueError, match="service_level"):
        forecast_for(tenant, None, NOW, service_level=100)
    with pytest.raises(ValueError, match="target_minutes"):
        forecast_for(tenant, None, NOW, target_minutes=0)

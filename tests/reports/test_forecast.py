import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from casedesk.reports.forecast import (
    HourlySeries,
    backtest,
    daily,
    forecast_hourly,
    weekly,
)

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def office_week(per_hour: float = 2.0) -> np.ndarray:
    """Monday to Friday, 09:00-17:00, ``per_hour`` cases each hour: 40 busy hours a week."""
    week = np.zeros(168)
    for day in range(5):
        week[day * 24 + 9 : day * 24 + 17] = per_hour
    return week


def poisson_quantile(mean: float, q: float) -> int:
    """The smallest k with P(X <= k) >= q, summed term by term from the textbook pmf."""
    k, term = 0, math.exp(-mean)
    total = term
    while total < q:
        k += 1
        term *= mean / k
        total += term
    return k


def test_no_history_gives_zeros_flagged_as_not_enough() -> None:
    forecast = forecast_hourly([], start=MONDAY)

    assert forecast.method == "none"
    assert not forecast.enough_history
    assert len(forecast.expected) == 8 * 168
    assert not forecast.expected.any() and not forecast.high.any()
    assert [row.expected for row in weekly(forecast)] == [0.0] * 8


def test_short_history_falls_back_to_the_weekday_hour_average() -> None:
    # Ten days from a Monday: Monday 09:00 is seen twice (3 then 5 cases), every other hour
    # has one case.
    counts = np.ones(240)
    counts[9] = 3
    counts[168 + 9] = 5

    forecast = forecast_hourly(
        HourlySeries(MONDAY, counts), start=MONDAY + timedelta(weeks=2), hours=168
    )

    assert forecast.method == "profile"
    assert not forecast.enough_history
    assert forecast.expected[9] == 4.0
    assert set(np.delete(forecast.expected, 9)) == {1.0}
    # Poisson(4): P(X<=1) = 0.092, P(X<=2) = 0.238; P(X<=6) = 0.889, P(X<=7) = 0.949.
    assert (forecast.low[9], forecast.high[9]) == (2.0, 7.0)
    # Poisson(1): P(X=0) = 0.368; P(X<=1) = 0.736, P(X<=2) = 0.920.
    assert (forecast.low[0], forecast.high[0]) == (0.0, 2.0)


def test_steady_weeks_forecast_the_same_week_with_poisson_intervals() -> None:
    history = HourlySeries(MONDAY, np.tile(office_week(), 8))

    forecast = forecast_hourly(history, start=MONDAY + timedelta(weeks=8))

    assert forecast.method == "weekly_ets"
    assert forecast.enough_history
    assert forecast.history_weeks == 8
    # The day-times-hour prior of a regular office week is the week itself, so shrinking
    # changes nothing: 80 cases a week over 40 busy hours.
    expected = np.tile(office_week(), 8)
    assert np.allclose(forecast.expected, expected)
    busy = expected > 0
    # Poisson(2): P(X=0) = 0.135 already passes 10 %; P(X<=3) = 0.857, P(X<=4) = 0.947.
    assert set(forecast.low[busy]) == {float(poisson_quantile(2, 0.1))} == {0.0}
    assert set(forecast.high[busy]) == {float(poisson_quantile(2, 0.9))} == {4.0}
    assert not forecast.high[~busy].any()

    days = daily(forecast)
    assert len(days) == 56
    assert days[0].start == date(2026, 3, 2)
    assert [round(row.expected, 6) for row in days[:7]] == [16, 16, 16, 16, 16, 0, 0]
    assert (days[0].low, days[0].high) == (poisson_quantile(16, 0.1), poisson_quantile(16, 0.9))

    weeks = weekly(forecast)
    assert [row.start for row in weeks[:2]] == [date(2026, 3, 2), date(2026, 3, 9)]
    assert all(row.hours == 168 and round(row.expected, 6) == 80 for row in weeks)
    assert (weeks[0].low, weeks[0].high) == (poisson_quantile(80, 0.1), poisson_quantile(80, 0.9))


def test_a_weekly_trend_is_carried_forward() -> None:
    # Twelve weeks growing by 4 cases a week: 80, 84, ..., 124; the next would be 128.
    counts = np.concatenate([office_week(2 * (1 + 0.05 * w)) for w in range(12)])

    forecast = forecast_hourly(
        HourlySeries(MONDAY, counts), start=MONDAY + timedelta(weeks=12), hours=336
    )

    first, second = (row.expected for row in weekly(forecast))
    assert first == pytest.approx(128, abs=1)
    assert second == pytest.approx(132, abs=1.5)
    assert second > first
    assert forecast.expected[9] == pytest.approx(first / 40, rel=0.01)


def test_expected_counts_never_go_negative_on_a_falling_desk() -> None:
    counts = np.concatenate([office_week(max(2 - 0.2 * w, 0)) for w in range(14)])

    forecast = forecast_hourly(HourlySeries(MONDAY, counts), start=MONDAY + timedelta(weeks=14))

    assert (forecast.expected >= 0).all()
    assert (forecast.low >= 0).all()


def test_a_slot_seen_once_is_pulled_towards_the_profile() -> None:
    counts = np.tile(office_week(), 8)
    counts[5 * 24 + 3] = 8  # a single burst on a Saturday night

    forecast = forecast_hourly(HourlySeries(MONDAY, counts), start=MONDAY + timedelta(weeks=8))

    # Saturday has 8 of 648 cases and 03:00 none besides: the prior for that slot is
    # 8/648 * 8/648, so the share is (8 + 168 * 0.000152) / (648 + 168) = 0.00984.
    share = (8 + 168 * (8 / 648) ** 2) / (648 + 168)
    week_total = forecast.expected[:168].sum()
    assert forecast.expected[5 * 24 + 3] == pytest.approx(week_total * share)
    assert forecast.expected[5 * 24 + 3] < 1


def test_forecast_may_start_after_the_history_but_not_inside_it() -> None:
    history = HourlySeries(MONDAY, np.tile(office_week(), 4))

    later = forecast_hourly(history, start=MONDAY + timedelta(weeks=5, hours=9), hours=2)
    assert np.allclose(later.expected, [2, 2])

    with pytest.raises(ValueError, match="at or after the end"):
        forecast_hourly(history, start=MONDAY + timedelta(weeks=3), hours=2)
    with pytest.raises(ValueError, match="start of an hour"):
        forecast_hourly(history, start=MONDAY + timedelta(weeks=4, minutes=30))
    with pytest.raises(ValueError, match="not negative"):
        forecast_hourly(HourlySeries(MONDAY, np.array([1.0, -1.0])), start=MONDAY)


def test_weeks_that_do_not_start_on_monday_are_partial_iso_weeks() -> None:
    history = HourlySeries(MONDAY, np.tile(office_week(), 4))
    wednesday = MONDAY + timedelta(weeks=4, days=2)

    rows = weekly(forecast_hourly(history, start=wednesday, hours=168))

    assert [(row.start, row.hours) for row in rows] == [
        (date(2026, 2, 2), 120),
        (date(2026, 2, 9), 48),
    ]
    assert [round(row.expected, 6) for row in rows] == [48, 32]


def test_an_hour_repeated_when_clocks_go_back_is_added_into_one() -> None:
    # One case in every real hour from Monday 19 October 2026 for ten days, read in Berlin:
    # on Sunday 25 October 02:00 happens twice.
    first = datetime(2026, 10, 19, tzinfo=BERLIN).astimezone(UTC)
    history = [((first + timedelta(hours=i)).astimezone(BERLIN), 1.0) for i in range(241)]

    forecast = forecast_hourly(history, start=datetime(2026, 11, 2, tzinfo=BERLIN), hours=168)

    sunday_2am = 6 * 24 + 2
    assert forecast.expected[sunday_2am] == 2.0
    assert set(np.delete(forecast.expected, sunday_2am)) == {1.0}


def test_an_hour_skipped_when_clocks_go_forward_has_no_cases() -> None:
    first = datetime(2026, 3, 23, tzinfo=BERLIN).astimezone(UTC)
    history = [((first + timedelta(hours=i)).astimezone(BERLIN), 1.0) for i in range(239)]

    forecast = forecast_hourly(history, start=datetime(2026, 4, 6, tzinfo=BERLIN), hours=168)

    sunday_2am = 6 * 24 + 2
    assert forecast.expected[sunday_2am] == 0.0
    days = daily(forecast)
    assert [row.hours for row in days] == [24] * 7
    assert days[6].expected == 23.0


def test_backtest_scores_model_and_same_hour_last_week() -> None:
    counts = np.tile(office_week(), 6)
    # A burst of 40 cases on the last Tuesday before the hold-out: the naive baseline
    # repeats it on both held-out Tuesdays, the model only lifts its level a little.
    counts[3 * 168 + 24 + 10] += 40

    result = backtest(HourlySeries(MONDAY, counts), holdout_weeks=2)

    assert result is not None
    assert result.method == "weekly_ets"
    assert len(result.days) == 14
    assert result.days[0].day == date(2026, 2, 2)
    assert [row.actual for row in result.days[:7]] == [16, 16, 16, 16, 16, 0, 0]
    assert [row.naive for row in result.days[:7]] == [16, 56, 16, 16, 16, 0, 0]
    # Naive: 40 cases too many on each of two Tuesdays, 160 cases held out.
    assert result.naive.mae_hourly == pytest.approx(80 / 336)
    assert result.naive.wape_hourly == pytest.approx(0.5)
    assert result.naive.mae_daily == pytest.approx(80 / 14)
    assert result.naive.wape_daily == pytest.approx(0.5)
    assert result.model.wape_daily is not None
    assert result.model.wape_daily < 0.5
    assert result.beats_naive
    assert all(row.low <= row.forecast <= row.high for row in result.days)


def test_backtest_needs_two_weeks_beyond_the_holdout() -> None:
    history = HourlySeries(MONDAY, np.tile(office_week(), 3))

    assert backtest(history, holdout_weeks=2) is None
    assert backtest(history, holdout_weeks=1) is not None
    assert backtest([], holdout_weeks=1) is None


def test_the_same_history_gives_the_same_forecast() -> None:
    rng = np.random.default_rng(16)
    counts = rng.poisson(np.tile(office_week(1.5) + 0.1, 20)).astype(float)
    history = HourlySeries(MONDAY, counts)
    start = MONDAY + timedelta(weeks=20)

    first = forecast_hourly(history, start=start)
    second = forecast_hourly(history, start=start)

    assert np.array_equal(first.expected, second.expected)
    assert np.array_equal(first.high, second.high)
    assert sum(row.expected for row in daily(first)) == pytest.approx(first.expected.sum())

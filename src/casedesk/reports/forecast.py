"""Case-volume forecast per hour for the coming weeks, and its back-test on the tenant's history.

Pure: hourly counts and the forecast's start come in, dataclasses go out; no ORM, no clock.

The model is a weekly total times a weekday-by-hour profile, not Holt-Winters on the hourly
series. A service desk's hourly counts are small and mostly zero at night and at weekends:
additive Holt-Winters with a 168-hour season forecasts negative hours (clipping them biases every
daily sum upwards), multiplicative Holt-Winters refuses zeros, and each of its 168 seasonal states
learns from one noisy count a week. Here the weekly totals, which are large and smooth, carry the
level and trend (statsmodels' ETS: simple exponential smoothing, or with a damped trend once there
are ``TREND_MIN_WEEKS`` weeks), and the share of a week's cases falling in each weekday-hour comes
from the last ``PROFILE_WEEKS`` weeks, shrunk towards "day share times hour-of-day share" so that
a slot seen with one or two cases does not become a spike. Expected counts are never negative.

The interval (80 % by default) treats an hour's count as negative-binomial around its expected
value (the over-dispersion measured on the history) plus the weekly level's own uncertainty
from the ETS forecast variance. ``daily`` and ``weekly`` sum the expected counts and combine
the uncertainty again at their own level, so a day's interval is not the sum of 24 hourly ones.

Time zones and DST: hour starts are local wall-clock hours (the caller buckets in the tenant's
zone); naive and aware datetimes are both accepted and only their wall-clock reading is used.
Every local day is taken as 24 wall-clock hours: an hour skipped when clocks go forward is an
hour with no cases, and the two readings of an hour repeated when clocks go back are added
into one. The forecast is on the same grid, so its spring-forward day has a value for an hour
that does not exist (it belongs to the next hour) and its autumn day counts the repeated hour
once; daily and weekly sums are unaffected.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ForecastMethod = Literal["weekly_ets", "profile", "none"]

HOURS_PER_DAY = 24
HOURS_PER_WEEK = 168
DEFAULT_HOURS = 8 * HOURS_PER_WEEK
MIN_MODEL_WEEKS = 2
TREND_MIN_WEEKS = 10
PROFILE_WEEKS = 12
# Pseudo-cases spread over the week by the day-times-hour prior; about one per slot, so a
# slot's own counts outweigh the prior once a tenant has a few cases in that hour each week.
PROFILE_PRIOR_CASES = float(HOURS_PER_WEEK)
# Above this mean a count's quantiles are taken from the normal approximation; below it the
# discrete distribution is summed, which keeps quiet hours' intervals honest integers.
EXACT_QUANTILE_MAX_MEAN = 150.0


@dataclass(frozen=True, eq=False)
class HourlySeries:
    """Counts for consecutive local wall-clock hours, the first starting at ``start``."""

    start: datetime
    counts: FloatArray


History = HourlySeries | Sequence[tuple[datetime, float]]


@dataclass(frozen=True, eq=False)
class HourlyForecast:
    """Expected cases per hour from ``start``, with an interval of coverage ``interval``.

    ``noise_var`` (the hour's own randomness, independent between hours) and ``level_sd`` (the
    weekly level's uncertainty, shared by the hours of a week) are what ``daily`` and ``weekly``
    need to give their sums an interval of their own. ``enough_history`` is false when fewer
    than two whole weeks were given: ``method`` is then ``"profile"`` (a weekday-hour average,
    no level or trend) or ``"none"`` (no history: all zeros).
    """

    start: datetime
    expected: FloatArray
    low: FloatArray
    high: FloatArray
    noise_var: FloatArray
    level_sd: FloatArray
    interval: float
    method: ForecastMethod
    enough_history: bool
    history_weeks: int

    def hour_starts(self) -> list[datetime]:
        """The local wall-clock start of each forecast hour (with ``start``'s tzinfo)."""
        return [self.start + timedelta(hours=i) for i in range(len(self.expected))]


@dataclass(frozen=True)
class PeriodForecast:
    """Expected cases in a local day, or an ISO week (``start`` is then its Monday).

    ``hours`` is how many forecast hours fell in the period: fewer than 24 (168) at the
    edges of a forecast that does not start at midnight (on a Monday).
    """

    start: date
    hours: int
    expected: float
    low: float
    high: float


@dataclass(frozen=True)
class ErrorFigures:
    """How far a forecast was from what happened: mean absolute error per hour and per day,
    and WAPE (sum of absolute errors over the sum of actuals; None when nothing happened)."""

    mae_hourly: float
    wape_hourly: float | None
    mae_daily: float
    wape_daily: float | None


@dataclass(frozen=True)
class BacktestDay:
    """One held-out day: what happened, the model's forecast and interval, the naive one."""

    day: date
    actual: float
    forecast: float
    low: float
    high: float
    naive: float


@dataclass(frozen=True)
class Backtest:
    """The model fitted without the last ``holdout_weeks`` weeks, scored on them.

    ``naive`` is the baseline a forecast must beat: the last week before the hold-out,
    repeated (each hour forecast as the same weekday and hour of that week).
    """

    holdout_weeks: int
    method: ForecastMethod
    model: ErrorFigures
    naive: ErrorFigures
    days: list[BacktestDay]

    @property
    def beats_naive(self) -> bool:
        """True when the model's daily error is below the baseline's."""
        if self.model.wape_daily is not None and self.naive.wape_daily is not None:
            return self.model.wape_daily < self.naive.wape_daily
        return self.model.mae_daily < self.naive.mae_daily


def forecast_hourly(
    history: History,
    *,
    start: datetime,
    hours: int = DEFAULT_HOURS,
    interval: float = 0.8,
) -> HourlyForecast:
    """Forecast the ``hours`` local hours from ``start`` from the hourly ``history``.

    ``start`` may lie after the end of the history (the gap is forecast and dropped) but not
    before it. Deterministic: the same history gives the same numbers.
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    if not 0 < interval < 1:
        raise ValueError("interval must be between 0 and 1")
    origin = _wall(start)
    history_start, counts = _grid(history)
    if history_start is None or counts.size == 0:
        zeros = np.zeros(hours)
        return HourlyForecast(start, zeros, zeros, zeros, zeros, zeros, interval, "none", False, 0)
    gap = _hours_between(history_start, origin) - counts.size
    if gap < 0:
        raise ValueError("the forecast must start at or after the end of the history")
    first_slot = _slot(origin)
    weeks = counts.size // HOURS_PER_WEEK
    if weeks < MIN_MODEL_WEEKS:
        mean, noise_var, level_sd = _profile_projection(
            counts, _slot(history_start), first_slot, hours
        )
        method: ForecastMethod = "profile"
    else:
        mean, noise_var, level_sd = _model_projection(
            counts, _slot(history_start), first_slot, gap, hours
        )
        method = "weekly_ets"
    total_var = noise_var + level_sd**2
    low, high = _interval(mean, total_var, interval)
    return HourlyForecast(
        start=start,
        expected=mean,
        low=low,
        high=high,
        noise_var=noise_var,
        level_sd=level_sd,
        interval=interval,
        method=method,
        enough_history=method == "weekly_ets",
        history_weeks=weeks,
    )


def daily(forecast: HourlyForecast) -> list[PeriodForecast]:
    """The forecast summed by local calendar day."""
    return _periods(forecast, lambda hour: hour.date(), lambda hour: hour.date())


def weekly(forecast: HourlyForecast) -> list[PeriodForecast]:
    """The forecast summed by ISO week; each row starts on the week's Monday."""

    def monday(hour: datetime) -> date:
        return hour.date() - timedelta(days=hour.weekday())

    return _periods(forecast, lambda hour: hour.isocalendar()[:2], monday)


def backtest(history: History, *, holdout_weeks: int = 2) -> Backtest | None:
    """Fit on all but the last ``holdout_weeks`` weeks of ``history`` and score the forecast
    of those weeks against what happened, beside the same-hour-last-week baseline.

    None when the history is too short to leave two whole weeks to fit on: a back-test of the
    fallback profile would say little. Let the history end at a local midnight so the
    held-out days are whole.
    """
    if holdout_weeks < 1:
        raise ValueError("holdout_weeks must be at least 1")
    history_start, counts = _grid(history)
    holdout = holdout_weeks * HOURS_PER_WEEK
    if history_start is None or counts.size < holdout + MIN_MODEL_WEEKS * HOURS_PER_WEEK:
        return None
    cut = counts.size - holdout
    training = HourlySeries(history_start, counts[:cut])
    forecast = forecast_hourly(training, start=history_start + timedelta(hours=cut), hours=holdout)
    actual = counts[cut:]
    naive = np.tile(counts[cut - HOURS_PER_WEEK : cut], holdout_weeks)
    day_index = _group_index(forecast.start, holdout, lambda hour: hour.date())
    by_day = daily(forecast)
    day_actual = _sum_by(actual, day_index, len(by_day))
    day_naive = _sum_by(naive, day_index, len(by_day))
    days = [
        BacktestDay(
            day=row.start,
            actual=float(day_actual[i]),
            forecast=row.expected,
            low=row.low,
            high=row.high,
            naive=float(day_naive[i]),
        )
        for i, row in enumerate(by_day)
    ]
    day_forecast = np.array([row.expected for row in by_day])
    return Backtest(
        holdout_weeks=holdout_weeks,
        method=forecast.method,
        model=_errors(actual, forecast.expected, day_actual, day_forecast),
        naive=_errors(actual, naive, day_actual, day_naive),
        days=days,
    )


def _wall(moment: datetime) -> datetime:
    if moment.minute or moment.second or moment.microsecond:
        raise ValueError(f"{moment.isoformat()} is not the start of an hour")
    return moment.replace(tzinfo=None, fold=0)


def _hours_between(earlier: datetime, later: datetime) -> int:
    return int((later - earlier) // timedelta(hours=1))


def _slot(wall: datetime) -> int:
    """The hour of the week, Monday 00:00 being 0."""
    return wall.weekday() * HOURS_PER_DAY + wall.hour


def _grid(history: History) -> tuple[datetime | None, FloatArray]:
    """The history as consecutive wall-clock hours: missing hours are zero, repeated ones added."""
    if isinstance(history, HourlySeries):
        counts = np.asarray(history.counts, dtype=np.float64)
        if counts.ndim != 1:
            raise ValueError("counts must be one-dimensional")
        _check_counts(counts)
        return _wall(history.start), counts
    if not history:
        return None, np.zeros(0)
    walls = [_wall(hour) for hour, _ in history]
    first = min(walls)
    index = np.array([_hours_between(first, wall) for wall in walls], dtype=np.int64)
    values = np.array([count for _, count in history], dtype=np.float64)
    _check_counts(values)
    counts = np.zeros(int(index.max()) + 1)
    np.add.at(counts, index, values)
    return first, counts


def _check_counts(counts: FloatArray) -> None:
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("counts must be finite and not negative")


def _slots(first_slot: int, length: int) -> npt.NDArray[np.int64]:
    return (first_slot + np.arange(length, dtype=np.int64)) % HOURS_PER_WEEK


def _profile_projection(
    counts: FloatArray, history_slot: int, first_slot: int, hours: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Short history: each weekday-hour's average, Poisson noise, no level uncertainty."""
    slots = _slots(history_slot, counts.size)
    totals = np.bincount(slots, weights=counts, minlength=HOURS_PER_WEEK)
    seen = np.bincount(slots, minlength=HOURS_PER_WEEK)
    # An hour of the week not yet seen gets the history's overall hourly average.
    by_slot = np.full(HOURS_PER_WEEK, counts.mean())
    np.divide(totals, seen, out=by_slot, where=seen > 0)
    mean = by_slot[_slots(first_slot, hours)]
    return mean, mean.copy(), np.zeros(hours)


def _model_projection(
    counts: FloatArray, history_slot: int, first_slot: int, gap: int, hours: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Whole weeks counted back from the history's end give the weekly totals and profile."""
    weeks = counts.size // HOURS_PER_WEEK
    used = counts[counts.size - weeks * HOURS_PER_WEEK :].reshape(weeks, HOURS_PER_WEEK)
    block_slot = (history_slot + counts.size - weeks * HOURS_PER_WEEK) % HOURS_PER_WEEK
    totals = used.sum(axis=1)
    recent = used[-PROFILE_WEEKS:]
    shares = _shrunk_shares(np.roll(recent.sum(axis=0), block_slot))
    dispersion = _dispersion(recent, recent.sum(axis=1), np.roll(shares, -block_slot))

    steps = (gap + hours - 1) // HOURS_PER_WEEK + 1 if hours else 0
    week_mean, week_var = _weekly_forecast(totals, steps)
    week_mean = np.maximum(week_mean, 0.0)
    # The ETS variance of a weekly total already holds the hours' own noise; what is left
    # over is the level's uncertainty, shared by every hour of that week.
    share_sq = float(np.sum(shares**2))
    week_noise = week_mean + dispersion * week_mean**2 * share_sq
    week_level_sd = np.sqrt(np.maximum(week_var - week_noise, 0.0))

    block = (gap + np.arange(hours)) // HOURS_PER_WEEK
    share = shares[_slots(first_slot, hours)]
    mean = week_mean[block] * share
    noise_var = mean + dispersion * mean**2
    level_sd = week_level_sd[block] * share
    return mean, noise_var, level_sd


def _shrunk_shares(by_slot: FloatArray) -> FloatArray:
    """Each weekday-hour's share of the week, pulled towards day share times hour share."""
    total = float(by_slot.sum())
    if total <= 0:
        return np.full(HOURS_PER_WEEK, 1.0 / HOURS_PER_WEEK)
    grid = by_slot.reshape(7, HOURS_PER_DAY)
    prior = np.outer(grid.sum(axis=1) / total, grid.sum(axis=0) / total).ravel()
    shares: FloatArray = (by_slot + PROFILE_PRIOR_CASES * prior) / (total + PROFILE_PRIOR_CASES)
    return shares


def _dispersion(weeks: FloatArray, totals: FloatArray, shares_by_position: FloatArray) -> float:
    """Negative-binomial over-dispersion of the hours around their week's profile (moments).

    Zero means Poisson; a desk whose cases come in bursts (an outage, a mailing) gets more.
    """
    fitted = np.outer(totals, shares_by_position)
    denominator = float(np.sum(fitted**2))
    if denominator == 0:
        return 0.0
    excess = float(np.sum((weeks - fitted) ** 2) - np.sum(fitted))
    return max(excess / denominator, 0.0)


def _weekly_forecast(totals: FloatArray, steps: int) -> tuple[FloatArray, FloatArray]:
    """Mean and variance of the next ``steps`` weekly totals from statsmodels' ETS."""
    if steps == 0:
        return np.zeros(0), np.zeros(0)
    if float(np.ptp(totals)) == 0.0:
        # Identical weeks (a desk with no cases at all, say) leave ETS nothing to fit.
        return np.full(steps, float(totals[-1])), np.zeros(steps)
    # statsmodels (with pandas and scipy) loads in about a second: only where it fits, not
    # in every process that loads the URLs.
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    has_trend = totals.size >= TREND_MIN_WEEKS
    model = ETSModel(
        totals, error="add", trend="add" if has_trend else None, damped_trend=has_trend
    )
    with warnings.catch_warnings():
        # Short or flat series make the optimiser warn about convergence; the fitted
        # smoothing parameters are still usable and the warnings would only fill the logs.
        warnings.simplefilter("ignore")
        fitted = model.fit(disp=False)
    mean = np.asarray(fitted.forecast(steps), dtype=np.float64)
    horizon = np.arange(1, steps + 1, dtype=np.float64)
    variance = float(fitted.mse) * _relative_variance(
        horizon,
        alpha=float(fitted.smoothing_level),
        beta=float(fitted.smoothing_trend) if has_trend else None,
        phi=float(fitted.damping_trend) if has_trend else None,
    )
    return mean, variance


def _relative_variance(
    horizon: FloatArray, *, alpha: float, beta: float | None, phi: float | None
) -> FloatArray:
    """The h-step forecast variance over the one-step one, for ETS(A,N,N) and ETS(A,Ad,N).

    Hyndman & Athanasopoulos, Forecasting: principles and practice (3rd ed.), table 8.8; the
    same expressions statsmodels uses for its exact prediction intervals (not public API).
    """
    h = horizon
    variance: FloatArray = 1 + alpha**2 * (h - 1)
    if beta is None or phi is None:
        return variance
    widened: FloatArray = (
        variance
        + beta * phi * h / (1 - phi) ** 2 * (2 * alpha * (1 - phi) + beta * phi)
        - beta
        * phi
        * (1 - phi**h)
        / ((1 - phi) ** 2 * (1 - phi**2))
        * (2 * alpha * (1 - phi**2) + beta * phi * (1 + 2 * phi - phi**h))
    )
    return widened


def _interval(
    mean: FloatArray, variance: FloatArray, coverage: float
) -> tuple[FloatArray, FloatArray]:
    tail = (1 - coverage) / 2
    return _count_quantile(mean, variance, tail), _count_quantile(mean, variance, 1 - tail)


def _count_quantile(mean: FloatArray, variance: FloatArray, q: float) -> FloatArray:
    """The q-quantile of a count with this mean and variance (negative binomial, or Poisson
    when the variance does not exceed the mean); normal approximation for large means."""
    out = np.zeros_like(mean)
    large = mean > EXACT_QUANTILE_MAX_MEAN
    if np.any(large):
        z = NormalDist().inv_cdf(q)
        out[large] = np.maximum(np.round(mean[large] + z * np.sqrt(variance[large])), 0.0)
    small = (mean > 0) & ~large
    if not np.any(small):
        return out
    m = mean[small]
    v = np.maximum(variance[small], m)
    top = math.ceil(float(np.max(m + 10 * np.sqrt(v))) + 10)
    k = np.arange(top, dtype=np.float64)
    over = v > m * (1 + 1e-9)
    # Poisson rows get a stand-in size of 1 so the arithmetic stays finite; they take the
    # Poisson steps below.
    size = np.where(over, m**2 / np.where(over, v - m, 1.0), 1.0)
    success = size / (size + m)
    # log P(k+1) - log P(k): (k + r) / (k + 1) * (1 - p) for the negative binomial, which
    # tends to m / (k + 1), the Poisson's, as r grows.
    nb_step = np.log((k[None, :] + size[:, None]) / (k[None, :] + 1)) + np.log1p(-success)[:, None]
    nb_start = size * np.log(success)
    poisson_step = np.log(m)[:, None] - np.log(k[None, :] + 1)
    step = np.where(over[:, None], nb_step, poisson_step)
    start = np.where(over, nb_start, -m)
    log_pmf = start[:, None] + np.concatenate(
        [np.zeros((m.size, 1)), np.cumsum(step[:, :-1], axis=1)], axis=1
    )
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    reached = cdf >= q
    out[small] = np.where(reached.any(axis=1), reached.argmax(axis=1), top)
    return out


def _group_index(
    start: datetime, length: int, key: Callable[[datetime], Hashable]
) -> npt.NDArray[np.int64]:
    """For each hour from ``start``, the number of the period (in order) it belongs to."""
    index = np.zeros(length, dtype=np.int64)
    previous: Hashable = None
    period = -1
    for i in range(length):
        current = key(start + timedelta(hours=i))
        if current != previous:
            period += 1
            previous = current
        index[i] = period
    return index


def _sum_by(values: FloatArray, index: npt.NDArray[np.int64], periods: int) -> FloatArray:
    return np.bincount(index, weights=values, minlength=periods).astype(np.float64)


def _periods(
    forecast: HourlyForecast,
    key: Callable[[datetime], Hashable],
    label: Callable[[datetime], date],
) -> list[PeriodForecast]:
    length = len(forecast.expected)
    if length == 0:
        return []
    # Wall-clock hours: naive arithmetic keeps every day 24 hours long, as the grid is.
    wall_start = _wall(forecast.start)
    index = _group_index(wall_start, length, key)
    periods = int(index[-1]) + 1
    mean = _sum_by(forecast.expected, index, periods)
    noise = _sum_by(forecast.noise_var, index, periods)
    # Level errors are shared by neighbouring hours (and nearly so by neighbouring weeks), so
    # their standard deviations add up rather than their variances.
    level = _sum_by(forecast.level_sd, index, periods)
    low, high = _interval(mean, noise + level**2, forecast.interval)
    hours = np.bincount(index, minlength=periods)
    firsts = np.searchsorted(index, np.arange(periods))
    return [
        PeriodForecast(
            start=label(wall_start + timedelta(hours=int(firsts[p]))),
            hours=int(hours[p]),
            expected=float(mean[p]),
            low=float(low[p]),
            high=float(high[p]),
        )
        for p in range(periods)
    ]


def _errors(
    actual: FloatArray, predicted: FloatArray, day_actual: FloatArray, day_predicted: FloatArray
) -> ErrorFigures:
    return ErrorFigures(
        mae_hourly=float(np.mean(np.abs(actual - predicted))),
        wape_hourly=_wape(actual, predicted),
        mae_daily=float(np.mean(np.abs(day_actual - day_predicted))),
        wape_daily=_wape(day_actual, day_predicted),
    )


def _wape(actual: FloatArray, predicted: FloatArray) -> float | None:
    total = float(np.sum(actual))
    if total == 0:
        return None
    return float(np.sum(np.abs(actual - predicted))) / total

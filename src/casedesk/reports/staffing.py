"""Agents needed per hour to answer within the first-response target: Erlang C.

Pure arithmetic on a forecast's hourly volumes and the measured average handle time (AHT).
Erlang C assumes cases arrive at random (Poisson) within the hour, wait in one queue for any
free agent, and that nobody gives up; for a service desk it reads as "how many agents must
be working so that ``service_goal`` of new cases get a first response within
``target_seconds``". Shrinkage (breaks, meetings, training) is added on top.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class StaffingHour:
    """One hour of the plan: the volume it was given and the agents it needs.

    ``service_level`` and ``occupancy`` are those of the ``working`` agents (before
    shrinkage); ``scheduled`` is how many to put on the rota so that, after shrinkage,
    ``working`` are at their desks.
    """

    cases: float
    traffic_erlangs: float
    working: int
    scheduled: int
    service_level: float
    occupancy: float


def traffic(calls_per_hour: float, aht_seconds: float) -> float:
    """Offered load in erlangs: how many agents would be busy all hour on average."""
    _check_non_negative(calls_per_hour=calls_per_hour, aht_seconds=aht_seconds)
    return calls_per_hour * aht_seconds / SECONDS_PER_HOUR


def erlang_c(traffic_erlangs: float, agents: int) -> float:
    """Probability that an arriving case has to wait (Erlang C).

    Computed from Erlang B's recurrence B(n) = A·B(n-1) / (n + A·B(n-1)), which stays
    between 0 and 1 at every step, so thousands of agents and erlangs neither overflow nor
    lose precision as factorials and powers would. 1.0 when the agents cannot keep up
    (``agents <= traffic``): the queue then grows without end.
    """
    _check_non_negative(traffic_erlangs=traffic_erlangs)
    if agents < 0:
        raise ValueError("agents must not be negative")
    if traffic_erlangs == 0:
        return 0.0
    if agents <= traffic_erlangs:
        return 1.0
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = _next_erlang_b(traffic_erlangs, n, blocking)
    return _erlang_c_from_b(traffic_erlangs, agents, blocking)


def service_level(
    calls_per_hour: float, aht_seconds: float, agents: int, target_seconds: float
) -> float:
    """Share of cases answered within ``target_seconds`` by ``agents`` working agents.

    1.0 when there are no cases, 0.0 when the agents cannot keep up.
    """
    _check_non_negative(target_seconds=target_seconds)
    load = traffic(calls_per_hour, aht_seconds)
    if load == 0:
        return 1.0
    if agents <= load:
        return 0.0
    return _service_level(load, agents, erlang_c(load, agents), aht_seconds, target_seconds)


def agents_needed(
    calls_per_hour: float,
    aht_seconds: float,
    target_seconds: float,
    service_goal: float = 0.8,
    max_occupancy: float = 0.85,
    shrinkage: float = 0.0,
) -> int:
    """The fewest agents to schedule so the hour meets ``service_goal`` within the target.

    The working agents must meet the goal and stay at or below ``max_occupancy`` (people
    busy every minute of the hour burn out and fall behind); the result is then grossed up
    for ``shrinkage``, the share of scheduled time not spent on cases. 0 with no cases.
    """
    return _plan_hour(
        calls_per_hour, aht_seconds, target_seconds, service_goal, max_occupancy, shrinkage
    ).scheduled


def staffing_plan(
    hourly_forecast_counts: Iterable[float],
    aht_seconds: float,
    target_seconds: float,
    service_goal: float = 0.8,
    max_occupancy: float = 0.85,
    shrinkage: float = 0.0,
) -> list[StaffingHour]:
    """The agents needed for each hour of a forecast (expected cases per hour, in order).

    Hours with the same volume are worked out once, so an 8-week hourly forecast with its
    many quiet hours costs little.
    """
    done: dict[float, StaffingHour] = {}
    plan = []
    for count in hourly_forecast_counts:
        cases = float(count)
        if cases not in done:
            done[cases] = _plan_hour(
                cases, aht_seconds, target_seconds, service_goal, max_occupancy, shrinkage
            )
        plan.append(done[cases])
    return plan


def _plan_hour(
    calls_per_hour: float,
    aht_seconds: float,
    target_seconds: float,
    service_goal: float,
    max_occupancy: float,
    shrinkage: float,
) -> StaffingHour:
    _check_non_negative(target_seconds=target_seconds)
    if not 0 < service_goal < 1:
        raise ValueError("service_goal must be between 0 and 1")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be above 0 and at most 1")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be at least 0 and below 1")
    load = traffic(calls_per_hour, aht_seconds)
    if load == 0:
        return StaffingHour(calls_per_hour, 0.0, 0, 0, 1.0, 0.0)
    # Walk n upwards carrying Erlang B along, so the search costs one step per agent
    # rather than a fresh recurrence for every candidate.
    blocking = 1.0
    n = 0
    while True:
        n += 1
        blocking = _next_erlang_b(load, n, blocking)
        if n <= load or load / n > max_occupancy:
            continue
        level = _service_level(
            load, n, _erlang_c_from_b(load, n, blocking), aht_seconds, target_seconds
        )
        if level >= service_goal:
            break
    # The small epsilon keeps 4 / (1 - 0.2) at 5 rather than 6 after floating-point rounding.
    scheduled = math.ceil(n / (1 - shrinkage) - 1e-9)
    return StaffingHour(calls_per_hour, load, n, scheduled, level, load / n)


def _next_erlang_b(load: float, agents: int, previous: float) -> float:
    return load * previous / (agents + load * previous)


def _erlang_c_from_b(load: float, agents: int, blocking: float) -> float:
    return agents * blocking / (agents - load * (1 - blocking))


def _service_level(
    load: float, agents: int, waiting: float, aht_seconds: float, target_seconds: float
) -> float:
    return max(0.0, 1 - waiting * math.exp(-(agents - load) * target_seconds / aht_seconds))


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number, not negative")

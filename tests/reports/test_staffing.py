import math

import pytest

from casedesk.reports.staffing import (
    agents_needed,
    erlang_c,
    service_level,
    staffing_plan,
    traffic,
)


def erlang_c_textbook(load: float, agents: int) -> float:
    """The closed form with factorials, as printed in the textbooks (fine for small sizes)."""
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    bottom = sum(load**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


def erlang_c_log_space(load: float, agents: int) -> float:
    """The same closed form in logarithms (lgamma), for sizes where factorials overflow."""
    log_terms = [k * math.log(load) - math.lgamma(k + 1) for k in range(agents)]
    log_top = agents * math.log(load) - math.lgamma(agents + 1) + math.log(agents / (agents - load))
    peak = max(*log_terms, log_top)
    top = math.exp(log_top - peak)
    return top / (sum(math.exp(t - peak) for t in log_terms) + top)


@pytest.mark.parametrize(("load", "agents"), [(5, 6), (5, 7), (5, 8), (10, 13), (0.5, 1)])
def test_erlang_c_matches_the_factorial_formula(load: float, agents: int) -> None:
    assert erlang_c(load, agents) == pytest.approx(erlang_c_textbook(load, agents), rel=1e-12)


def test_textbook_example_needs_eight_agents() -> None:
    # 100 cases an hour, 3 minutes each: 5 erlangs. First response within 20 s for 80 %.
    assert traffic(100, 180) == 5.0
    assert erlang_c(5, 7) == pytest.approx(0.32415, abs=1e-5)
    assert erlang_c(5, 8) == pytest.approx(0.16727, abs=1e-5)
    # SL = 1 - C * exp(-(N - A) * t / AHT): 7 agents 1 - 0.32415 * exp(-2/9) = 0.7404,
    # 8 agents 1 - 0.16727 * exp(-3/9) = 0.8801.
    assert service_level(100, 180, 7, 20) == pytest.approx(
        1 - erlang_c_textbook(5, 7) * math.exp(-2 * 20 / 180), rel=1e-12
    )
    assert service_level(100, 180, 7, 20) == pytest.approx(0.7404, abs=1e-4)
    assert service_level(100, 180, 8, 20) == pytest.approx(0.8801, abs=1e-4)
    assert agents_needed(100, 180, 20) == 8


def test_too_few_agents_always_wait_and_never_meet_the_target() -> None:
    assert erlang_c(5, 5) == 1.0
    assert erlang_c(5, 3) == 1.0
    assert service_level(100, 180, 5, 20) == 0.0


def test_no_cases_need_no_agents() -> None:
    assert erlang_c(0, 3) == 0.0
    assert service_level(0, 180, 0, 20) == 1.0
    assert agents_needed(0, 180, 20) == 0
    assert agents_needed(0, 180, 20, shrinkage=0.3) == 0


def test_a_trickle_of_cases_needs_one_agent() -> None:
    # 0.1 cases an hour, 3 minutes each: 0.005 erlangs; one agent answers 99.5 % at once.
    assert erlang_c(0.005, 1) == pytest.approx(0.005)
    assert agents_needed(0.1, 180, 20) == 1


def test_huge_volumes_stay_finite_and_match_the_log_form() -> None:
    load = traffic(10_000, 360)
    assert load == 1000.0
    assert erlang_c(1000, 1030) == pytest.approx(erlang_c_log_space(1000, 1030), rel=1e-9)
    assert 0 < erlang_c(8000, 8100) < 1

    needed = agents_needed(10_000, 360, 20)
    # A thousand erlangs at 85 % occupancy at most: at least 1000 / 0.85 = 1176.5 agents.
    assert needed == math.ceil(1000 / 0.85) == 1177
    assert agents_needed(10_000, 360, 20, max_occupancy=1.0) < needed


def test_occupancy_cap_adds_agents_the_service_level_alone_would_not() -> None:
    # 20 erlangs with a generous 10-minute target: 21 agents already answer 80 % in time,
    # but would be 95 % busy; 20 / 0.85 = 23.5, so 24.
    assert service_level(400, 180, 21, 600) >= 0.8
    assert agents_needed(400, 180, 600, max_occupancy=1.0) == 21
    assert agents_needed(400, 180, 600) == 24


def test_shrinkage_grows_the_rota() -> None:
    assert agents_needed(100, 180, 20, shrinkage=0.3) == math.ceil(8 / 0.7) == 12
    assert agents_needed(100, 180, 20, shrinkage=0.2) == 10


def test_plan_works_out_each_hour() -> None:
    plan = staffing_plan([0.0, 100.0, 0.1, 100.0], 180, 20, shrinkage=0.2)

    assert [hour.working for hour in plan] == [0, 8, 1, 8]
    assert [hour.scheduled for hour in plan] == [0, 10, 2, 10]
    assert plan[1].traffic_erlangs == 5.0
    assert plan[1].occupancy == pytest.approx(5 / 8)
    assert plan[1].service_level == pytest.approx(0.8801, abs=1e-4)
    assert plan[0].service_level == 1.0


def test_nonsense_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="calls_per_hour"):
        agents_needed(-1, 180, 20)
    with pytest.raises(ValueError, match="service_goal"):
        agents_needed(10, 180, 20, service_goal=1.0)
    with pytest.raises(ValueError, match="shrinkage"):
        agents_needed(10, 180, 20, shrinkage=1.0)
    with pytest.raises(ValueError, match="agents"):
        erlang_c(1, -1)

"""The assignment strategies as plain functions, with property tests: round-robin is fair,
nobody is ever given more than their capacity."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from casedesk.routing.models import Strategy
from casedesk.routing.strategies import (
    UNIT,
    Agent,
    choose,
    least_loaded,
    normalise_skills,
    round_robin,
    skills_based,
    territory_based,
    weight,
)

NORMAL = weight(2)


def test_weights_count_in_normal_cases() -> None:
    assert [weight(p) for p in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert weight(2) == UNIT


def test_round_robin_goes_round_and_skips_the_unavailable_and_the_full() -> None:
    agents = [Agent(1, 10), Agent(2, 10, available=False), Agent(3, 10), Agent(4, 1, load=2)]
    picks, last = [], None
    for _ in range(4):
        last = round_robin(agents, last, NORMAL).user_id
        picks.append(last)
    assert picks == [1, 3, 1, 3]


def test_round_robin_continues_after_the_last_one_even_if_they_left() -> None:
    agents = [Agent(2, 10), Agent(5, 10), Agent(9, 10)]
    assert round_robin(agents, 6, NORMAL).user_id == 9
    assert round_robin(agents, 9, NORMAL).user_id == 2
    assert round_robin(agents, None, NORMAL).user_id == 2


def test_nobody_fits_leaves_the_case_waiting_with_the_reason() -> None:
    away = [Agent(1, 10, available=False)]
    assert round_robin(away, None, NORMAL).user_id is None
    assert "available" in round_robin(away, None, NORMAL).reason
    full = [Agent(1, 1, load=2)]
    assert least_loaded(full, NORMAL).user_id is None
    assert "capacity" in least_loaded(full, NORMAL).reason
    assert round_robin([], None, NORMAL).reason == "the queue has no members"


def test_load_balanced_takes_the_most_room_relative_to_capacity() -> None:
    agents = [Agent(1, 10, load=10), Agent(2, 20, load=16), Agent(3, 5, load=6)]
    # Utilisation: 1 → 50 %, 2 → 40 %, 3 → 60 %.
    assert least_loaded(agents, NORMAL).user_id == 2


def test_an_urgent_case_needs_room_for_two_normal_ones() -> None:
    agents = [Agent(1, 5, load=8)]  # four normal cases of five
    assert least_loaded(agents, weight(2)).user_id == 1
    assert least_loaded(agents, weight(4)).user_id is None
    assert least_loaded(agents, weight(1)).user_id == 1


def test_skills_need_every_required_skill() -> None:
    agents = [Agent(1, 10, skills=normalise_skills(["billing"])),
              Agent(2, 10, load=4, skills=normalise_skills(["Billing", "DE"])),
              Agent(3, 10, skills=normalise_skills(["de"]))]
    assert skills_based(agents, normalise_skills(["billing", "de"]), NORMAL).user_id == 2
    assert skills_based(agents, normalise_skills(["billing"]), NORMAL).user_id == 1
    nobody = skills_based(agents, normalise_skills(["ja"]), NORMAL)
    assert nobody.user_id is None and "skills ja" in nobody.reason
    assert skills_based(agents, frozenset(), NORMAL).user_id == 1


def test_territory_picks_among_the_accounts_territory() -> None:
    agents = [Agent(1, 10, territory="EMEA", load=6), Agent(2, 10, territory="emea"),
              Agent(3, 10, territory="APAC")]
    assert territory_based(agents, "EMEA", NORMAL).user_id == 2
    assert territory_based(agents, "LATAM", NORMAL).user_id is None
    assert territory_based(agents, "", NORMAL).user_id is None


def test_manual_never_assigns() -> None:
    assert choose(Strategy.MANUAL, [Agent(1, 10)], case_weight=NORMAL).user_id is None


agent_lists = st.lists(
    st.builds(Agent, user_id=st.integers(1, 50), capacity=st.integers(0, 6),
              load=st.integers(0, 8), available=st.booleans(),
              skills=st.sets(st.sampled_from(["billing", "de", "fr"])).map(frozenset),
              territory=st.sampled_from(["", "EMEA", "APAC"])),
    max_size=8, unique_by=lambda a: a.user_id,
)


@given(n=st.integers(0, 200), k=st.integers(1, 12), absent=st.sets(st.integers(0, 11)))
def test_round_robin_gives_each_available_agent_its_fair_share(n: int, k: int,
                                                                absent: set[int]) -> None:
    agents = [Agent(i + 1, capacity=1000, available=i not in absent) for i in range(k)]
    available = [a.user_id for a in agents if a.available]
    counts: Counter[int] = Counter()
    last = None
    for _ in range(n):
        picked = round_robin(agents, last, NORMAL).user_id
        if picked is not None:
            counts[picked] += 1
            last = picked
    if not available:
        assert not counts
        return
    given_out = [counts[u] for u in available]
    assert sum(given_out) == n
    assert set(given_out) <= {n // len(available), -(-n // len(available))}
    assert not set(counts) - set(available)


@given(agents=agent_lists, priorities=st.lists(st.integers(1, 4), max_size=60),
       strategy=st.sampled_from([Strategy.ROUND_ROBIN, Strategy.LOAD_BALANCED, Strategy.SKILLS,
                                 Strategy.TERRITORY]),
       skills=st.sets(st.sampled_from(["billing", "de"])).map(frozenset),
       territory=st.sampled_from(["", "EMEA", "APAC"]))
def test_no_strategy_ever_puts_an_agent_over_capacity(agents: list[Agent], priorities: list[int],
                                                      strategy: str, skills: frozenset[str],
                                                      territory: str) -> None:
    loads = {a.user_id: a.load for a in agents}
    last = None
    for priority in priorities:
        current = [Agent(a.user_id, a.capacity, loads[a.user_id], a.available, a.skills,
                         a.territory) for a in agents]
        choice = choose(strategy, current, case_weight=weight(priority), last_user_id=last,
                        required_skills=skills, territory=territory)
        if choice.user_id is None:
            continue
        picked = next(a for a in agents if a.user_id == choice.user_id)
        assert picked.available
        loads[picked.user_id] += weight(priority)
        assert loads[picked.user_id] <= picked.capacity * UNIT
        if strategy == Strategy.SKILLS:
            assert skills <= picked.skills
        if strategy == Strategy.TERRITORY:
            assert picked.territory.casefold() == territory.casefold() != ""
        last = choice.user_id

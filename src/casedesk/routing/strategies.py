"""How a queue picks the agent for a case: plain functions over a snapshot of the agents.

`routing.services` takes the snapshot under row locks (so two creators never both see the
same free capacity) and writes the choice; here is only the choice. Every strategy skips
agents who are not available and agents the case would take over their capacity: when nobody
qualifies the answer is None and the case waits in the queue for someone to claim it.

Load is counted in normal-priority cases: an agent's capacity of 20 means twenty normal
cases, ten urgent ones, or forty low ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from casedesk.routing.models import Strategy

# Halves, so loads stay exact integers: capacity c allows a load of 2c.
WEIGHTS = {1: 1, 2: 2, 3: 3, 4: 4}  # low, normal, high, urgent — in half-cases
UNIT = 2  # half-cases per normal case


def weight(priority: int) -> int:
    return WEIGHTS.get(priority, UNIT)


@dataclass(frozen=True)
class Agent:
    user_id: int
    capacity: int  # in normal cases
    load: int = 0  # in half-cases: the sum of weight() over the agent's open cases
    available: bool = True
    skills: frozenset[str] = frozenset()
    territory: str = ""

    def fits(self, case_weight: int) -> bool:
        return self.available and self.load + case_weight <= self.capacity * UNIT

    @property
    def utilisation(self) -> float:
        return self.load / (self.capacity * UNIT) if self.capacity else 1.0


@dataclass(frozen=True)
class Choice:
    user_id: int | None
    reason: str


def normalise_skills(skills: Iterable[str]) -> frozenset[str]:
    return frozenset(s.strip().casefold() for s in skills if s and s.strip())


def round_robin(agents: Sequence[Agent], last_user_id: int | None, case_weight: int) -> Choice:
    """The next agent after the last one served, in a fixed order (user id), skipping those
    who are away or full. Over N cases each of k steady agents gets ⌊N/k⌋ or ⌈N/k⌉."""
    rota = sorted(agents, key=lambda a: a.user_id)
    if not rota:
        return Choice(None, "the queue has no members")
    start = 0
    if last_user_id is not None:
        start = next((i for i, a in enumerate(rota) if a.user_id > last_user_id), 0)
    for agent in rota[start:] + rota[:start]:
        if agent.fits(case_weight):
            return Choice(agent.user_id, "round-robin")
    return Choice(None, _why_nobody(rota, case_weight))


def least_loaded(agents: Sequence[Agent], case_weight: int, *, reason: str = "load-balanced",
                 empty: str = "the queue has no members") -> Choice:
    """The agent with the most room left, relative to their capacity; ties go to the one
    with the lighter absolute load, then the lower id (stable, so tests can predict it)."""
    if not agents:
        return Choice(None, empty)
    fitting = [a for a in agents if a.fits(case_weight)]
    if not fitting:
        return Choice(None, _why_nobody(agents, case_weight))
    best = min(fitting, key=lambda a: (a.utilisation, a.load, a.user_id))
    return Choice(best.user_id, reason)


def skills_based(agents: Sequence[Agent], required: frozenset[str], case_weight: int) -> Choice:
    """Among agents with every required skill, the least loaded."""
    if not required:
        return least_loaded(agents, case_weight, reason="skills-based (no skills required)")
    skilled = [a for a in agents if required <= a.skills]
    return least_loaded(
        skilled, case_weight, reason=f"skills-based ({', '.join(sorted(required))})",
        empty=f"no member of the queue has the skills {', '.join(sorted(required))}",
    )


def territory_based(agents: Sequence[Agent], territory: str, case_weight: int) -> Choice:
    """Among agents of the account's territory, the least loaded."""
    wanted = territory.strip().casefold()
    if not wanted:
        return Choice(None, "the case's account has no territory")
    local = [a for a in agents if a.territory.strip().casefold() == wanted]
    return least_loaded(local, case_weight, reason=f"territory ({territory.strip()})",
                        empty=f"no member of the queue works the territory {territory.strip()}")


def choose(strategy: str, agents: Sequence[Agent], *, case_weight: int,
           last_user_id: int | None = None, required_skills: frozenset[str] = frozenset(),
           territory: str = "") -> Choice:
    if strategy == Strategy.ROUND_ROBIN:
        return round_robin(agents, last_user_id, case_weight)
    if strategy == Strategy.LOAD_BALANCED:
        return least_loaded(agents, case_weight)
    if strategy == Strategy.SKILLS:
        return skills_based(agents, required_skills, case_weight)
    if strategy == Strategy.TERRITORY:
        return territory_based(agents, territory, case_weight)
    return Choice(None, "the queue's agents claim its cases")


def _why_nobody(agents: Sequence[Agent], case_weight: int) -> str:
    if not any(a.available for a in agents):
        return "no member of the queue is available"
    return "every available member of the queue is at capacity"

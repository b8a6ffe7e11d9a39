"""Who is offered a waiting chat next: the queue's own strategy over the agents who take
chats now. Pure: a snapshot of the agents in, one choice out.

Chats are counted in chats, not in the case load the routing strategies weigh: an agent with
room for 3 chats and 2 active ones has room for one more, whatever their case load. So the
snapshot hands the strategies each agent's chats as their load and `chats_per_agent` as their
capacity, in the strategies' own units. A queue whose agents claim cases themselves (manual)
has no strategy to push with: its chats go to the agent with the fewest chats."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from casedesk.routing.models import Strategy
from casedesk.routing.strategies import UNIT, Agent, Choice, choose


@dataclass(frozen=True)
class ChatAgent:
    user_id: int
    active_chats: int
    available: bool  # switched on for chat and seen lately
    skills: frozenset[str] = frozenset()
    territory: str = ""


def next_agent(strategy: str, agents: Sequence[ChatAgent], *, chats_per_agent: int,
               passed: Iterable[int] = (), last_user_id: int | None = None,
               required_skills: frozenset[str] = frozenset(), territory: str = "") -> Choice:
    """The agent to offer the chat to, among those not `passed` (who declined it or let
    the offer expire), or Choice(None, why)."""
    skip = set(passed)
    pool = [Agent(user_id=a.user_id, capacity=chats_per_agent, load=a.active_chats * UNIT,
                  available=a.available, skills=a.skills, territory=a.territory)
            for a in agents if a.user_id not in skip]
    if not pool:
        return Choice(None, "nobody else takes chats" if skip else "nobody takes chats")
    if strategy == Strategy.MANUAL:
        strategy = Strategy.LOAD_BALANCED
    choice = choose(strategy, pool, case_weight=UNIT, last_user_id=last_user_id,
                    required_skills=required_skills, territory=territory)
    if choice.user_id is None and strategy in (Strategy.SKILLS, Strategy.TERRITORY):
        # Nobody with the skills or of the territory is free: anyone free is better than a
        # visitor left waiting for a mail.
        choice = choose(Strategy.LOAD_BALANCED, pool, case_weight=UNIT)
    return choice

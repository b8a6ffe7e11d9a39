"""Writes for what routing knows about a member: whether they take cases now (availability),
and the skills, territory and capacity the assignment strategies match against.

Each write is one transaction that locks the membership row, the same row routing locks while
it gives a case to an agent, so a change never interleaves with an assignment halfway.
"""

from collections.abc import Iterable

from django.db import transaction

from casedesk.core.errors import Invalid
from casedesk.tenancy.models import Availability, Membership

MAX_SKILLS = 50
MAX_SKILL_LENGTH = 50
MAX_TERRITORY_LENGTH = 100
MAX_CAPACITY = 1_000


def membership_set_availability(*, membership: Membership, availability: str) -> Membership:
    """Sets whether the member takes routed cases now (available, away or offline).

    Setting the value the member has already changes nothing and is not an error."""
    if availability not in Availability.values:
        raise Invalid(f"Availability is one of {', '.join(Availability.values)}.",
                      field="availability")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.availability != availability:
            locked.availability = availability
            locked.save(update_fields=["availability"])
    membership.availability = availability
    return membership


def clean_skills(skills: Iterable[str]) -> list[str]:
    """The skills as stored: trimmed, without blanks or repeats (ignoring case), in order."""
    seen: dict[str, str] = {}
    for raw in skills:
        if not isinstance(raw, str):
            raise Invalid("Each skill is a word or two of text.", field="skills")
        skill = raw.strip()
        if not skill:
            continue
        if len(skill) > MAX_SKILL_LENGTH or "\x00" in skill:
            raise Invalid(f"A skill has at most {MAX_SKILL_LENGTH} characters.", field="skills")
        seen.setdefault(skill.casefold(), skill)
    if len(seen) > MAX_SKILLS:
        raise Invalid(f"A member has at most {MAX_SKILLS} skills.", field="skills")
    return list(seen.values())


def membership_set_routing_facts(*, membership: Membership, skills: Iterable[str],
                                 territory: str, capacity: int) -> Membership:
    """Replaces the member's skills, territory and capacity (open normal-priority cases the
    strategies may give them), after checking all three; nothing is written on a refusal."""
    clean = clean_skills(skills)
    territory = (territory or "").strip()
    if len(territory) > MAX_TERRITORY_LENGTH or "\x00" in territory:
        raise Invalid(f"A territory has at most {MAX_TERRITORY_LENGTH} characters.",
                      field="territory")
    if isinstance(capacity, bool) or not isinstance(capacity, int) \
            or not 0 <= capacity <= MAX_CAPACITY:
        raise Invalid(f"Capacity is a whole number from 0 to {MAX_CAPACITY}.", field="capacity")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        locked.skills, locked.territory, locked.capacity = clean, territory, capacity
        locked.save(update_fields=["skills", "territory", "capacity"])
    membership.skills, membership.territory, membership.capacity = clean, territory, capacity
    return membership

"""`@name` mentions in notes (pure): which members a note mentions."""

import re
from dataclasses import dataclass

_MENTION = re.compile(r"(?<![\w.@])@([\w][\w.\-]*[\w]|[\w])", re.UNICODE)


@dataclass(frozen=True)
class Mentionable:
    user_id: int
    email: str
    full_name: str


def handles(member: Mentionable) -> set[str]:
    """The handles a member answers to: the email's local part, the full name without spaces,
    and the name with dots (`@alice`, `@aliceagent`, `@alice.agent`)."""
    names = {member.email.split("@", 1)[0].lower()}
    if member.full_name.strip():
        words = member.full_name.lower().split()
        names.add("".join(words))
        names.add(".".join(words))
    return names


def find_mentions(body: str, members: list[Mentionable]) -> list[int]:
    """User ids mentioned in `body`, in order of first mention; unknown handles are ignored."""
    by_handle: dict[str, int] = {}
    for member in members:
        for handle in handles(member):
            by_handle.setdefault(handle, member.user_id)
    found: dict[int, None] = {}
    for match in _MENTION.finditer(body):
        user_id = by_handle.get(match.group(1).lower().rstrip("."))
        if user_id is not None:
            found.setdefault(user_id, None)
    return list(found)

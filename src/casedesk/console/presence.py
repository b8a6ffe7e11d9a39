"""Who else has a case open: the collision notice of the case page.

The page polls every few seconds; each poll upserts the member's `CasePresence` row and reads
the others'. A row not refreshed for `SEEN_FOR` means the member left; `typing_at` within
`TYPING_FOR` means they are writing in the composer. The page sends back the digest of what
its notice shows (`presence_digest`), so a poll that would show the same answers with nothing.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from casedesk.cases.access import parse_case_number
from casedesk.cases.models import Case
from casedesk.console.models import CasePresence
from casedesk.core.errors import NotFound
from casedesk.tenancy.models import Membership, User

SEEN_FOR = timedelta(seconds=15)
TYPING_FOR = timedelta(seconds=8)


@dataclass(frozen=True)
class Viewer:
    """Another member on the same case, and whether they are writing a reply."""

    user_id: int
    name: str
    is_typing: bool


def presence_case(membership: Membership, number: str) -> Case:
    """The case shown as `number` in the member's tenant, as `get_case_for_member` finds it
    (NotFound for anything else, another tenant's case too), with only its keys: the polls,
    many a second, need nothing more, and the case's joined row costs more than the poll."""
    tenant = membership.tenant
    parsed = parse_case_number(number, tenant.case_prefix)
    found = (list(Case.objects.filter(tenant=tenant, number=parsed).only("id", "tenant_id")[:1])
             if parsed is not None else [])
    if not found:
        raise NotFound(f"No case {number} in this tenant.")
    return found[0]


def presence_touch(*, case: Case, user: User, is_typing: bool, now: datetime) -> None:
    """Records that `user` has `case` open now (and is typing, when `is_typing`).

    One upsert statement, so concurrent polls of the same member never collide; a poll
    without typing leaves the last typing time alone.
    """
    row = CasePresence(tenant_id=case.tenant_id, case_id=case.pk, user_id=user.pk,
                       seen_at=now, typing_at=now if is_typing else None)
    CasePresence.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["case", "user"],
        update_fields=["seen_at", "typing_at"] if is_typing else ["seen_at"])


def presence_leave(*, case: Case, user: User) -> None:
    """Forgets that `user` has `case` open (they closed or left the page)."""
    CasePresence.objects.filter(tenant_id=case.tenant_id, case_id=case.pk,
                                user_id=user.pk).delete()


def presence_others(*, case: Case, user: User, now: datetime) -> list[Viewer]:
    """The other members who had `case` open within the last `SEEN_FOR`, by name."""
    rows = (CasePresence.objects
            .filter(tenant_id=case.tenant_id, case_id=case.pk, seen_at__gte=now - SEEN_FOR)
            .exclude(user_id=user.pk)
            .select_related("user")
            .order_by("user__full_name", "user__email"))
    return [Viewer(user_id=row.user_id, name=row.user.display_name,
                   is_typing=row.typing_at is not None and row.typing_at >= now - TYPING_FOR)
            for row in rows]


def presence_digest(viewers: Sequence[Viewer]) -> str:
    """A short digest of what the collision notice shows: who, under which name, typing or
    not. Never empty, so "nobody else" has a digest too."""
    shown = "|".join(f"{v.user_id}:{int(v.is_typing)}:{v.name}" for v in viewers)
    return hashlib.sha256(shown.encode()).hexdigest()[:16]

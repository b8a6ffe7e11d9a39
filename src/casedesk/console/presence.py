"""Who else has a case open: the collision notice of the case page.

The page polls every few seconds; each poll upserts the member's `CasePresence` row and reads
the others'. A row not refreshed for `SEEN_FOR` means the member left; `typing_at` within
`TYPING_FOR` means they are writing in the composer.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from casedesk.cases.models import Case
from casedesk.console.models import CasePresence
from casedesk.tenancy.models import User

SEEN_FOR = timedelta(seconds=15)
TYPING_FOR = timedelta(seconds=8)


@dataclass(frozen=True)
class Viewer:
    """Another member on the same case, and whether they are writing a reply."""

    user_id: int
    name: str
    is_typing: bool


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

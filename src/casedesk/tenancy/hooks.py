"""What the tenant's administration needs from higher floors, through functions those apps
register in their `AppConfig.ready()`: tenancy stands below them and never imports them
(docs/architecture.md).

- `send_account_mail` (mail): an invitation or a password-reset mail, written to the outbox
  in the caller's transaction;
- `queue_choices`, `join_queues`, `queues_of_members` (routing): the queues an invitation may
  name, joining them when it is accepted, and each member's queues for the people page;
- `open_case_counts` (cases): each member's open cases, for the people page.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from casedesk.tenancy.models import Membership, Tenant

# (tenant, recipient, subject, body, now): queue one mail about a person's account; False
# when the address has had too many such mails lately (nothing is queued then).
AccountMailer = Callable[[Tenant, str, str, str, datetime], bool]
# tenant -> [(queue id, name)] of the queues a member may join
QueueChoices = Callable[[Tenant], list[tuple[int, str]]]
# (membership, queue ids): the new member joins those of the tenant's active queues
QueueJoiner = Callable[[Membership, Sequence[int]], None]
# tenant -> {user id: [queue names]}
QueuesOfMembers = Callable[[Tenant], dict[int, list[str]]]
# tenant -> {user id: open cases they own}
OpenCaseCounter = Callable[[Tenant], dict[int, int]]

_hooks: dict[str, Any] = {}


def register_account_mailer(mailer: AccountMailer) -> None:
    _hooks["mailer"] = mailer


def register_queues(*, choices: QueueChoices, join: QueueJoiner,
                    of_members: QueuesOfMembers) -> None:
    _hooks["queue_choices"] = choices
    _hooks["join_queues"] = join
    _hooks["queues_of_members"] = of_members


def register_open_case_counter(counter: OpenCaseCounter) -> None:
    _hooks["open_case_counts"] = counter


def _hook(name: str) -> Any:
    try:
        return _hooks[name]
    except KeyError:
        raise RuntimeError(f"No app has registered tenancy's {name!r} hook (are casedesk.mail, "
                           "casedesk.routing and casedesk.cases in INSTALLED_APPS?)") from None


def send_account_mail(tenant: Tenant, to: str, subject: str, body: str, now: datetime) -> bool:
    return bool(_hook("mailer")(tenant, to, subject, body, now))


def queue_choices(tenant: Tenant) -> list[tuple[int, str]]:
    return _hook("queue_choices")(tenant)  # type: ignore[no-any-return]


def join_queues(membership: Membership, queue_ids: Sequence[int]) -> None:
    if queue_ids:
        _hook("join_queues")(membership, queue_ids)


def queues_of_members(tenant: Tenant) -> dict[int, list[str]]:
    return _hook("queues_of_members")(tenant)  # type: ignore[no-any-return]


def open_case_counts(tenant: Tenant) -> dict[int, int]:
    return _hook("open_case_counts")(tenant)  # type: ignore[no-any-return]

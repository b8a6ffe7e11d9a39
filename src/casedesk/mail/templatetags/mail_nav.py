"""`{% quarantined_count membership as n %}`: the messages waiting in quarantine, for the
Mail link of the navigation (managers only; one bounded count on the status index).

`{% case_auth_warning case as warning %}`: the one warning a case page shows when mail filed
on the case failed sender authentication (one query on the inbound (case, time) index).

The console's base layout and case page load this library by name (`{% load mail_nav %}`):
templates are looked up at render time, so the console stays a floor above mail."""

from typing import Any

from django import template

from casedesk.mail.selectors import AuthWarning
from casedesk.mail.selectors import case_auth_warning as auth_warning
from casedesk.mail.selectors import quarantined_count as count

register = template.Library()
BADGE_CAP = 100


@register.simple_tag
def quarantined_count(membership: Any) -> int:
    if membership is None or not getattr(membership, "is_manager", False):
        return 0
    return count(membership.tenant_id, cap=BADGE_CAP)


@register.simple_tag
def case_auth_warning(case: Any) -> AuthWarning | None:
    if case is None or getattr(case, "pk", None) is None:
        return None
    return auth_warning(case)

"""`{% sla_badge case now %}`: the case's SLA clock nearest its due time, for case lists.

Read from the case's own columns: no query per row."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from casedesk.cases.models import Case
from casedesk.console.sla_reads import nearest_badge

register = template.Library()


@register.inclusion_tag("console/partials/_sla_badge.html")
def sla_badge(case: Case, now: datetime) -> dict[str, Any]:
    badge = nearest_badge(case, now, timezone.get_current_timezone())
    return {"badge": badge, "is_open": case.is_open}

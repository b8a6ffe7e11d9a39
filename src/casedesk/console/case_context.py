"""What the case page shows, built once for the page and for each htmx refresh of its parts.

The timeline reads newest first under the composer, like a feed: the latest activity is
where the agent is about to write, and older events page in below.
"""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timesince

from casedesk.cases.lifecycle import case_age
from casedesk.cases.models import AssignmentStatus, Case, CaseAssignment, PicklistKind
from casedesk.cases.picklists import Picklists
from casedesk.console import case_fields, case_reads, sla_reads
from casedesk.core import clock
from casedesk.mail.selectors import case_attachments
from casedesk.routing.models import Queue
from casedesk.tenancy.middleware import tenant_zone
from casedesk.tenancy.web import PageRequest, member

TEMPLATE = "console/case_detail.html"
TIMELINE_PAGE = 50
ATTACHMENTS_SHOWN = 200


def page_context(request: PageRequest, case: Case, *, editing: str | None = None,
                 search: str = "", cursor: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    """Everything the page and its partials show. `editing` opens one field's editor."""
    membership = member(request)
    now = clock.now()
    definitions = case_fields.custom_definitions(case)
    custom_labels = {d.key: d.label for d in definitions}
    rows = {row.name: row for row in case_fields.detail_rows(case, definitions)}
    for name in ("subject", "description"):
        rows[name] = case_fields.field_row(case, name, definitions)
    if editing in rows:
        case_fields.fill_editor(rows[editing], case, membership, definitions, search=search)
    assignments = list(CaseAssignment.objects.filter(tenant_id=case.tenant_id, case=case)
                       .select_related("queue", "opened_by", "closed_by").order_by("-id"))
    moves, reopen_refusal = case_reads.lifecycle_offer(case, now)
    age = case_age(case.created_at, closed_at=case.closed_at, now=now)
    context: dict[str, Any] = {
        "nav": "cases",
        "case": case,
        "now": now,
        "me": membership,
        "rows": rows,
        "detail_rows": [rows[name] for name in rows if name not in ("subject", "description")],
        "timeline": case_reads.timeline_for(case, now=now, cursor=cursor, limit=TIMELINE_PAGE,
                                            custom_labels=custom_labels),
        "cursor": cursor,
        "moves": moves,
        "reopen_refusal": reopen_refusal,
        "closed_reasons": sorted(Picklists(case.tenant, kinds=(PicklistKind.CLOSED_REASON,))
                                 .all(PicklistKind.CLOSED_REASON)),
        "follow_ups": [(f"{case.tenant.case_prefix}-{number}", subject) for number, subject in
                       case.follow_ups.order_by("number").values_list("number", "subject")],
        "assignments": assignments,
        "open_assignments": sum(1 for a in assignments if a.status == AssignmentStatus.OPEN),
        "referral_queues": Queue.objects.filter(tenant_id=case.tenant_id, is_active=True)
                                        .order_by("name"),
        "account_cases": case_reads.account_open_cases(case),
        # Lazy: one query when the full page lists them, none for the htmx refreshes.
        "attachments": case_attachments(case)[:ATTACHMENTS_SHOWN],
        "attachments_shown": ATTACHMENTS_SHOWN,
        "age": timesince(now - age, now) if age.total_seconds() >= 60 else "less than a minute",
        "dates": _dates(case, now),
        "sla": sla_reads.case_clocks(case, now, _zone(case)),
        "errors": {},
        "posted": {},
    }
    context.update(extra)
    return context


def _dates(case: Case, now: datetime) -> list[tuple[str, datetime | None, str]]:
    """The case's milestones with how long ago each was (None: not reached)."""
    moments = [("Created", case.created_at), ("Updated", case.updated_at),
               ("First response", case.first_response_at), ("Resolved", case.resolved_at),
               ("Closed", case.closed_at)]
    return [(label, at, case_reads.ago(at, now) if at else "") for label, at in moments]


def _zone(case: Case) -> ZoneInfo | None:
    return tenant_zone(case.tenant)


def render_case(request: PageRequest, case: Case, template: str, context: dict[str, Any],
                *, status: int = 200) -> HttpResponse:
    """Renders in the tenant's time zone (partials too, which lie outside any template tag)."""
    with timezone.override(_zone(case)):  # None: the default zone
        return render(request, template, context, status=status)

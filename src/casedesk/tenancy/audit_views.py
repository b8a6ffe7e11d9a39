"""The audit log's page, `/settings/audit`: the tenant's changes of configuration and access,
newest first, filtered by kind of action, actor, target and days, paged by keyset. Admins
only: the log shows every member's access and the set-up's values, which managers, who
only read the set-up pages, need not see."""

from datetime import date, datetime, time, timedelta
from typing import cast

from django import forms
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from casedesk.core.errors import Invalid
from casedesk.core.forms import add_domain_error
from casedesk.tenancy.audit_selectors import (
    SYSTEM,
    AuditFilters,
    audit_action_kinds,
    audit_page,
    audit_target_types,
    change_rows,
)
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import members_of
from casedesk.tenancy.web import PageRequest, member, member_required, require_admin

PAGE_SIZE = 50
# The first and the last day a filter may name: dates outside stop being datetimes.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 30)


class AuditFilterForm(forms.Form):
    """The page's filters, read from the query string; choices are what the log holds."""

    action = forms.ChoiceField(required=False, label="Kind of change")
    actor = forms.ChoiceField(required=False, label="By")
    target = forms.ChoiceField(required=False, label="On")
    since = forms.DateField(required=False, label="From (day)",
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To (day, inclusive)",
                            widget=forms.DateInput(attrs={"type": "date"}))
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, data: QueryDict, *, membership: Membership) -> None:
        super().__init__(data)
        tenant = membership.tenant
        people = members_of(tenant.pk, active_only=False).order_by("user__email")
        choices = {
            "action": [("", "All"), *((kind, kind.replace("_", " "))
                                      for kind in audit_action_kinds(tenant))],
            "actor": [("", "Anyone"), (SYSTEM, "System"),
                      *((str(m.user_id), m.user.email) for m in people)],
            "target": [("", "Anything"), *((kind, kind.replace("_", " "))
                                           for kind in audit_target_types(tenant))],
        }
        for name, options in choices.items():
            cast(forms.ChoiceField, self.fields[name]).choices = options

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for name in ("since", "until"):
            day = data.get(name)
            if isinstance(day, date) and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, f"Pick a day from {FIRST_DAY:%Y} to {LAST_DAY:%Y}.")
        since, until = data.get("since"), data.get("until")
        if isinstance(since, date) and isinstance(until, date) and until < since:
            self.add_error("until", "The last day comes on or after the first.")
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        actor = data.get("actor") or ""
        zone = timezone.get_current_timezone()  # the tenant's, as TenantMiddleware set it

        def start_of(day: date | None) -> datetime | None:
            return datetime.combine(day, time.min, tzinfo=zone) if day else None

        until = data.get("until")
        return AuditFilters(
            action=data.get("action") or "",
            actor_id=int(actor) if actor.isdecimal() else None,
            system=actor == SYSTEM, target_type=data.get("target") or "",
            since=start_of(data.get("since")),
            until=start_of(until + timedelta(days=1)) if until else None)


@member_required
@require_GET
def audit_log(request: PageRequest) -> HttpResponse:
    """The tenant's audit log, newest first, each entry with its old → new values."""
    membership = require_admin(member(request))
    form = AuditFilterForm(request.GET, membership=membership)
    page = None
    if form.is_valid():
        try:
            page = audit_page(membership.tenant, form.filters(),
                              cursor=form.cleaned_data.get("cursor") or None, limit=PAGE_SIZE)
        except Invalid as error:
            add_domain_error(form, error)
    query = QueryDict(mutable=True)
    for name in ("action", "actor", "target", "since", "until"):
        if value := request.GET.get(name):
            query[name] = value
    next_query = ""
    if page is not None and page.next_cursor:
        following = query.copy()
        following["cursor"] = page.next_cursor
        next_query = following.urlencode()
    entries = [(entry, change_rows(entry)) for entry in page.items] if page else []
    return render(request, "tenancy/audit.html", {
        "nav": "settings", "form": form, "entries": entries, "query": query.urlencode(),
        "next_query": next_query, "is_first_page": not request.GET.get("cursor"),
    }, status=200 if page is not None else 422)

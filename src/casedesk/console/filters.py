"""The case-list filter form: query string in, `CaseFilters` and a sort out."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from casedesk.cases.lifecycle import Status
from casedesk.cases.list_sort import DEFAULT_SORT, SORTS
from casedesk.cases.models import PicklistKind, PicklistValue, Source
from casedesk.cases.selectors import SLA_OUTCOMES, SLA_TARGETS, CaseFilters
from casedesk.core import clock
from casedesk.core.priority import PRIORITY_CHOICES, Priority
from casedesk.core.text import is_storable
from casedesk.crm.models import Account, Contact
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import members_of

STATUS_CHOICES = [(s.value, s.label) for s in Status]
SORT_CHOICES = [(s, s) for s in SORTS]
ACCOUNT_CHOICES_MAX = 1000
# The SLA filter: open cases with a breached target, or with a clock coming due within N
# hours (overdue ones the sweep has not marked yet included).
BREACHING_WITHIN_HOURS = (1, 4, 8, 24)
SLA_CHOICES = [("", "Any"), ("breached", "Breached")] + [
    (str(h), f"Breaching within {h} hour{'s' if h > 1 else ''}") for h in BREACHING_WITHIN_HOURS]
# An SLA target's result on any case, open or not (what the scorecard's attainment counts).
SLA_RESULT_CHOICES = [("", "Any")] + [
    (f"{t}_{o}", f"{t.replace('_', ' ').capitalize()} {o}")
    for t in SLA_TARGETS for o in SLA_OUTCOMES]
# Date ranges on moments of a case (local days, both ends included), beside `created_*`:
# (form field prefix, `CaseFilters` prefix, label).
MOMENT_RANGES = (("resolved", "resolved", "Resolved"), ("closed", "closed", "Closed"),
                 ("responded", "first_response", "First response"),
                 ("rated", "csat", "Rated"))


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(required=False, label=label,
                           widget=forms.DateInput(attrs={"type": "date"}))


class CaseFilterForm(forms.Form):
    status = forms.MultipleChoiceField(choices=STATUS_CHOICES, required=False)
    priority = forms.MultipleChoiceField(choices=PRIORITY_CHOICES, required=False)
    queue = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False)
    account = forms.ChoiceField(required=False)
    contact = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    type = forms.ChoiceField(required=False)
    category = forms.ChoiceField(required=False)
    created_after = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    created_before = forms.DateField(required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, max_length=200, label="Text")
    open = forms.BooleanField(required=False, label="Open only")
    has_open_children = forms.BooleanField(required=False, label="Has open children")
    sla = forms.ChoiceField(choices=SLA_CHOICES, required=False, label="SLA")
    csat = forms.ChoiceField(choices=[("", "Any rating"), ("good", "Rated good"),
                                      ("bad", "Rated bad"), ("rated", "Rated")],
                             required=False, label="Satisfaction")
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, error_messages={
        "invalid_choice": "Unknown sort “%(value)s”: the list sorts by the columns whose "
                          "headers are links (showing newest first instead)."})
    # "More filters": what the reports' links ask for (their tiles list the cases behind
    # each figure), usable by hand too.
    team = forms.ChoiceField(required=False)
    source = forms.ChoiceField(choices=[("", "Any source")] + Source.choices, required=False)
    tier = forms.ChoiceField(required=False, label="Account tier")
    resolved_after = _date_field("Resolved from")
    resolved_before = _date_field("to")
    closed_after = _date_field("Closed from")
    closed_before = _date_field("to")
    responded_after = _date_field("First response from")
    responded_before = _date_field("to")
    rated_after = _date_field("Rated from")
    rated_before = _date_field("to")
    open_on = _date_field("Open at the end of")
    sla_result = forms.ChoiceField(choices=SLA_RESULT_CHOICES, required=False,
                                   label="SLA result")
    reopened = forms.BooleanField(required=False, label="Re-opened")
    one_touch = forms.BooleanField(required=False, label="One-touch")

    MORE = ("team", "source", "tier", "resolved_after", "resolved_before", "closed_after",
            "closed_before", "responded_after", "responded_before", "rated_after",
            "rated_before", "open_on", "sla_result", "reopened", "one_touch")

    def __init__(self, data: Any, *, membership: Membership) -> None:
        super().__init__(data)
        tenant_id = membership.tenant_id
        # Archived queues stay (their cases are still to be found), marked, after the others.
        queues = (Queue.objects.filter(tenant_id=tenant_id).order_by("-is_active", "name")
                  .values_list("pk", "name", "is_active"))
        self._set_choices("queue", [("", "Any queue"), ("none", "No queue")] + [
            (str(pk), name if active else f"{name} (archived)") for pk, name, active in queues])
        members = members_of(tenant_id, active_only=False)
        self._set_choices("owner", [("", "Anyone"), ("me", "Me"), ("none", "Unassigned")] + [
            (str(m.user_id), m.user.display_name) for m in members])
        accounts = (Account.objects.filter(tenant_id=tenant_id).order_by("name")
                    .values_list("pk", "name")[:ACCOUNT_CHOICES_MAX])
        account_choices = [("", "Any account")] + [(str(pk), name) for pk, name in accounts]
        # A tenant may have more accounts than the menu lists: an id from a link (an account
        # page's "show in case list") is still a valid choice.
        wanted = (data or {}).get("account") or ""
        if wanted.isdecimal() and len(wanted) < 19 and wanted not in dict(account_choices):
            extra = Account.objects.filter(tenant_id=tenant_id, pk=int(wanted)).first()
            if extra is not None:
                account_choices.append((wanted, extra.name))
        self._set_choices("account", account_choices)
        contact = (data or {}).get("contact") or ""
        self._set_choices("contact", [("", "Any contact")] + (
            [(contact, contact)] if contact.isdecimal() and len(contact) < 19
            and Contact.objects.filter(tenant_id=tenant_id, pk=int(contact)).exists() else []))
        values = PicklistValue.objects.filter(
            tenant_id=tenant_id, kind__in=[PicklistKind.TYPE, PicklistKind.CATEGORY]
        ).values_list("kind", "value")
        for kind in ("type", "category"):
            choices = [(v, v) for k, v in values if k == kind]
            # A value no longer on the picklist still names cases (a report's link to them).
            wanted = (data or {}).get(kind) or ""
            if (wanted and len(wanted) <= 80 and is_storable(wanted)
                    and (wanted, wanted) not in choices):
                choices.append((wanted, wanted))
            self._set_choices(kind, [("", f"Any {kind}")] + choices)
        managers = (Membership.objects.filter(
            tenant_id=tenant_id, pk__in=Membership.objects.filter(
                tenant_id=tenant_id, manager__isnull=False).values("manager_id"))
            .select_related("user").order_by("user__full_name", "user__email"))
        self._set_choices("team", [("", "Any team")] + [
            (str(m.pk), f"{m.user.display_name}'s team") for m in managers])
        tiers = (Account.objects.filter(tenant_id=tenant_id).exclude(tier="")
                 .values_list("tier", flat=True).distinct().order_by("tier"))
        self._set_choices("tier", [("", "Any tier")] + [(t, t) for t in tiers])

    def has_more(self) -> bool:
        """Whether a filter of "More filters" is set (the section then shows open)."""
        return self.is_bound and any(self.data.get(name) for name in self.MORE)

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def to_filters(self, membership: Membership) -> CaseFilters:
        # An unknown sort alone leaves the filters standing (the list falls back to its default
        # order and says so); any other bad value drops them all, as before.
        data = self.cleaned_data if self.is_valid() or self.only_sort_is_wrong() else {}
        queue, owner = data.get("queue") or "", data.get("owner") or ""
        after, before = data.get("created_after"), data.get("created_before")
        zone = ZoneInfo(membership.tenant.time_zone)
        sla = data.get("sla") or ""
        return CaseFilters(
            status=data.get("status") or None,
            priority=[Priority.from_name(p) for p in data.get("priority") or []] or None,
            queue_id=int(queue) if queue.isdecimal() else None,
            no_queue=queue == "none",
            owner_id=(membership.user_id if owner == "me"
                      else int(owner) if owner.isdecimal() else None),
            unassigned=owner == "none",
            account_id=int(data["account"]) if (data.get("account") or "").isdecimal() else None,
            contact_id=int(data["contact"]) if (data.get("contact") or "").isdecimal() else None,
            type=data.get("type") or None,
            category=data.get("category") or None,
            created_after=datetime.combine(after, time.min, zone) if after else None,
            created_before=(datetime.combine(before + timedelta(days=1), time.min, zone)
                            if before else None),
            q=data.get("q") or None,
            open_only=bool(data.get("open")),
            has_open_children=bool(data.get("has_open_children")),
            sla_breached=sla == "breached",
            breaching_within_hours=int(sla) if sla.isdecimal() else None,
            now=clock.now() if sla else None,
            csat=data.get("csat") or None,
            team_id=int(data["team"]) if (data.get("team") or "").isdecimal() else None,
            source=data.get("source") or None,
            account_tier=data.get("tier") or None,
            open_at=_day_start(data["open_on"] + timedelta(days=1), zone)
            if data.get("open_on") else None,
            sla_result=data.get("sla_result") or None,
            reopened=bool(data.get("reopened")),
            one_touch=bool(data.get("one_touch")),
            **_moment_ranges(data, zone),
        )

    def only_sort_is_wrong(self) -> bool:
        return self.is_bound and set(self.errors) == {"sort"}

    def sort_order(self) -> str:
        """The sort asked for; the default when none was, or when it is not one of ours (the
        form then says so on its `sort` field)."""
        if not self.is_bound:
            return DEFAULT_SORT
        self.is_valid()
        return self.cleaned_data.get("sort") or DEFAULT_SORT


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)


def _moment_ranges(data: dict[str, Any], zone: ZoneInfo) -> dict[str, datetime | None]:
    """`<moment>_after`/`_before` of `CaseFilters` from the form's local days: from the
    start of the first day to the end of the last, as the reports' periods are."""
    found: dict[str, datetime | None] = {}
    for field, name, _ in MOMENT_RANGES:
        after, before = data.get(f"{field}_after"), data.get(f"{field}_before")
        found[f"{name}_after"] = _day_start(after, zone) if after else None
        found[f"{name}_before"] = _day_start(before + timedelta(days=1), zone) if before else None
    return found

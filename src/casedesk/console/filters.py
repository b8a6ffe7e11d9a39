"""The case-list filter form: query string in, `CaseFilters` and a sort out."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from casedesk.cases.lifecycle import Status
from casedesk.cases.models import PicklistKind, PicklistValue
from casedesk.cases.selectors import SORT_FIELDS, CaseFilters
from casedesk.core import clock
from casedesk.core.priority import PRIORITY_CHOICES, Priority
from casedesk.crm.models import Account, Contact
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import members_of

STATUS_CHOICES = [(s.value, s.label) for s in Status]
SORT_CHOICES = [(f"{d}{k}", k) for k in SORT_FIELDS for d in ("-", "")]
ACCOUNT_CHOICES_MAX = 1000
# The SLA filter: open cases with a breached target, or with a clock coming due within N
# hours (overdue ones the sweep has not marked yet included).
BREACHING_WITHIN_HOURS = (1, 4, 8, 24)
SLA_CHOICES = [("", "Any"), ("breached", "Breached")] + [
    (str(h), f"Breaching within {h} hour{'s' if h > 1 else ''}") for h in BREACHING_WITHIN_HOURS]


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
    sla = forms.ChoiceField(choices=SLA_CHOICES, required=False, label="SLA")
    csat = forms.ChoiceField(choices=[("", "Any rating"), ("good", "Rated good"),
                                      ("bad", "Rated bad"), ("rated", "Rated")],
                             required=False, label="Satisfaction")
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

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
            self._set_choices(kind, [("", f"Any {kind}")] + [
                (v, v) for k, v in values if k == kind])

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def to_filters(self, membership: Membership) -> CaseFilters:
        data = self.cleaned_data if self.is_valid() else {}
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
            sla_breached=sla == "breached",
            breaching_within_hours=int(sla) if sla.isdecimal() else None,
            now=clock.now() if sla else None,
            csat=data.get("csat") or None,
        )

    def sort_order(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "-number"

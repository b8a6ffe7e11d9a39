"""The agents' new-case form: a phone call, a chat or a walk-in becomes a case."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from casedesk.cases.creation import case_create
from casedesk.console.forms import CaseNewForm
from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.schemas import MAX_ID
from casedesk.crm import selectors as crm_selectors
from casedesk.crm.forms import record_pickers
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import PageRequest, member, member_required


def _preselected(request: PageRequest, membership: Membership) -> dict[str, Any]:
    """`?account=<id>&contact=<id>` from an account or contact page; a contact brings its
    account. Ids of records the tenant does not have are dropped."""
    ids = {}
    for name in ("account", "contact"):
        raw = (request.GET.get(name) or "").strip()
        if raw.isdecimal() and 0 < int(raw) <= MAX_ID:
            ids[name] = int(raw)
    initial: dict[str, Any] = {}
    if "contact" in ids:
        contact = crm_selectors.contacts_by_id(membership.tenant, [ids["contact"]]).get(
            ids["contact"])
        if contact is not None:
            initial["contact"] = contact.pk
            if contact.account_id:
                initial["account"] = contact.account_id
    if "account" in ids and "account" not in initial and crm_selectors.accounts_by_id(
            membership.tenant, [ids["account"]]):
        initial["account"] = ids["account"]
    return initial


@member_required
def case_new(request: PageRequest) -> HttpResponse:
    """Creates the case through `case_create` and opens it. The form carries a one-time key,
    so a double submit opens the case the first submit made instead of making another."""
    membership = member(request)
    if request.method == "POST":
        form = CaseNewForm(request.POST, membership=membership)
        if form.is_valid():
            try:
                case, created = case_create(tenant=membership.tenant, actor=membership.user,
                                            data=form.case_input(), now=clock.now(),
                                            idempotency_key=form.one_time_key())
            except DomainError as error:
                form.add_domain_error(error)
            else:
                if created:
                    messages.success(request, f"Created {case.display_number}.")
                return redirect("console:case_detail", number=case.display_number)
    else:
        form = CaseNewForm(membership=membership, initial=_preselected(request, membership))
    return render(request, "console/case_new.html", {
        "nav": "new", "form": form, "pickers": record_pickers(form, membership)})


urlpatterns = [path("cases/new", case_new, name="case_new")]

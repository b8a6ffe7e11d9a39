"""The agents' new-case form: a phone call, a chat or a walk-in becomes a case.

A phone case brings its call: the page shows the call's fields (`calls.forms.CallForm`)
while the source is "phone", and the case and its logged call are made together
(`calls.services.phone_case_create`); a refusal of either makes neither and shows on its
field. A phone case whose call fields are left empty is made without a call, as before."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from casedesk.calls.domain import CALL_FIELDS
from casedesk.calls.forms import CallForm
from casedesk.calls.services import phone_case_create
from casedesk.cases.creation import case_create
from casedesk.cases.models import Case, Source
from casedesk.console.forms import CaseNewForm
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.forms import add_domain_error
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


CALL_PREFIX = "call"


def _refused(form: CaseNewForm, call_form: CallForm, error: DomainError) -> None:
    """A service's refusal on the field it names: the call's on the call's fields, the
    case's (named `case.<field>` by `phone_case_create`) on the case's."""
    field = getattr(error, "field", None) or ""
    if isinstance(error, Invalid) and field in CALL_FIELDS:
        add_domain_error(call_form, error, CallForm.SERVICE_FIELDS)
    elif isinstance(error, Invalid) and field.startswith("case."):
        form.add_domain_error(Invalid(error.detail, field=field.removeprefix("case.")))
    else:
        form.add_domain_error(error)


def _create(membership: Membership, form: CaseNewForm, call_form: CallForm | None
            ) -> tuple[Case, bool]:
    """The case (and, for a phone case with a call typed in, its call); (case, created)."""
    if call_form is not None and not call_form.is_blank():
        made = phone_case_create(tenant=membership.tenant, actor=membership.user,
                                 case_input=form.case_input(), call=call_form.call_input(),
                                 now=clock.now(), idempotency_key=form.one_time_key())
        return made.case, made.created
    return case_create(tenant=membership.tenant, actor=membership.user,
                       data=form.case_input(), now=clock.now(),
                       idempotency_key=form.one_time_key())


@member_required
def case_new(request: PageRequest) -> HttpResponse:
    """Creates the case through `case_create` (a phone case with its call through
    `phone_case_create`) and opens it. The form carries a one-time key, so a double submit
    opens the case the first submit made instead of making another."""
    membership = member(request)
    if request.method == "POST":
        form = CaseNewForm(request.POST, membership=membership)
        # The call's fields count for a phone case only (the page hides them otherwise).
        is_phone = request.POST.get("source") == Source.PHONE
        call_form = CallForm(request.POST if is_phone else None, prefix=CALL_PREFIX)
        case_ok = form.is_valid()
        call_ok = not is_phone or call_form.is_valid()  # both checked: all errors show
        if case_ok and call_ok:
            try:
                case, created = _create(membership, form, call_form if is_phone else None)
            except DomainError as error:
                _refused(form, call_form, error)
            else:
                if created:
                    messages.success(request, f"Created {case.display_number}.")
                return redirect("console:case_detail", number=case.display_number)
    else:
        form = CaseNewForm(membership=membership, initial=_preselected(request, membership))
        call_form = CallForm(prefix=CALL_PREFIX)
    return render(request, "console/case_new.html", {
        "nav": "new", "form": form, "call_form": call_form,
        "pickers": record_pickers(form, membership)})


urlpatterns = [path("cases/new", case_new, name="case_new")]

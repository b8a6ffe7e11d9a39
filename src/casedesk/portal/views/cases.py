"""A customer's cases: "My cases", a case's page, and what they do there (reply with files,
confirm a solved case, say it is not fixed). `portal.conversation` decides what they see and
may do; every change is one of its services."""

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, NotFound
from casedesk.core.forms import add_domain_error
from casedesk.core.schemas import MAX_ID
from casedesk.mail.downloads import attachment_response
from casedesk.portal import conversation
from casedesk.portal.branding import brand_of
from casedesk.portal.customers import Customer
from casedesk.portal.forms import NotFixedForm, ReplyForm
from casedesk.portal.views import PortalRequest, customer_page, portal_render

PAGE_SIZE = 20


def _customer(request: PortalRequest) -> Customer:
    assert request.customer is not None  # customer_page let only customers through
    return request.customer


def _case(request: PortalRequest, number: int) -> Case:
    if number > MAX_ID:
        raise NotFound("There is no such case here.")
    return conversation.case_of(_customer(request), number)


def my_cases(request: PortalRequest) -> HttpResponse:
    """The customer's cases (and their account's, for its portal admin), newest first."""
    customer = _customer(request)
    page = Paginator(conversation.cases_of(customer), PAGE_SIZE).get_page(
        request.GET.get("page"))
    rows = [{"case": case, "status": conversation.customer_status(case.status)}
            for case in page.object_list]
    return portal_render(request, "portal/my_cases.html", {"page": page, "rows": rows})


def _case_page(request: PortalRequest, case: Case, *, reply_form: ReplyForm | None = None,
               not_fixed_form: NotFixedForm | None = None, problem: str = "",
               status: int = 200) -> HttpResponse:
    tenant = request.tenant
    return portal_render(request, "portal/case.html", {
        "case": case, "status": conversation.customer_status(case.status),
        "messages": conversation.conversation(case, team_name=brand_of(tenant).name),
        "files": list(conversation.files_of(case)),
        "is_solved": case.status == Status.RESOLVED,
        "is_closed": case.status == Status.CLOSED,
        "reply_form": reply_form or ReplyForm(),
        "not_fixed_form": not_fixed_form or NotFixedForm(),
        "problem": problem}, status=status)


@require_safe
@customer_page
def case_detail(request: PortalRequest, case_number: int) -> HttpResponse:
    return _case_page(request, _case(request, case_number))


@require_POST
@customer_page
def case_reply(request: PortalRequest, case_number: int) -> HttpResponse:
    """The customer's reply, with files; a closed case past its reopen window refuses it
    (the page offers a new case)."""
    case = _case(request, case_number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            conversation.portal_reply(customer=_customer(request), case=case,
                                      body=form.cleaned_data["body"],
                                      files=form.cleaned_data["attachments"], now=clock.now())
        except Conflict as error:
            return _case_page(request, case, reply_form=form, problem=error.detail,
                              status=409)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("portal:case", request.tenant.slug, case.number)
    return _case_page(request, case, reply_form=form, status=422)


@require_POST
@customer_page
def case_confirm(request: PortalRequest, case_number: int) -> HttpResponse:
    """"Yes, it's fixed": the solved case closes."""
    case = _case(request, case_number)
    try:
        conversation.portal_confirm_fixed(customer=_customer(request), case=case,
                                          now=clock.now())
    except DomainError as error:
        return _case_page(request, case, problem=error.detail, status=409)
    return redirect("portal:case", request.tenant.slug, case.number)


@require_POST
@customer_page
def case_not_fixed(request: PortalRequest, case_number: int) -> HttpResponse:
    """"No, it's not fixed": the case re-opens within the tenant's reopen rules."""
    case = _case(request, case_number)
    form = NotFixedForm(request.POST)
    if form.is_valid():
        try:
            conversation.portal_not_fixed(customer=_customer(request), case=case,
                                          body=form.cleaned_data["body"], now=clock.now())
        except Conflict as error:
            return _case_page(request, case, not_fixed_form=form, problem=error.detail,
                              status=409)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("portal:case", request.tenant.slug, case.number)
    return _case_page(request, case, not_fixed_form=form, status=422)


@require_safe
@customer_page
def case_file(request: PortalRequest, case_number: int, file_id: int) -> FileResponse:
    """A file of the case, served by mail's download code (never run by the browser)."""
    case = _case(request, case_number)
    if file_id > MAX_ID:
        raise NotFound("There is no such file here.")
    return attachment_response(conversation.file_of(case, file_id))

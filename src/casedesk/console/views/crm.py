"""Accounts and contacts: lists with search, detail pages with their cases, edit and create
forms, and the record pickers other forms search through."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse

from casedesk.cases import crm_reads
from casedesk.cases.lifecycle import Status
from casedesk.cases.selectors import CaseFilters, Page, case_list
from casedesk.console.forms import (
    AccountForm,
    ContactForm,
    add_domain_error,
    record_pickers,
)
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.crm import selectors, services
from casedesk.crm.access import get_account_for_member, get_contact_for_member
from casedesk.crm.models import Account, Contact
from casedesk.tenancy.models import Membership, Tenant
from casedesk.tenancy.web import PageRequest, member, member_required

PAGE_SIZE = 50
DETAIL_CASES = 10
DETAIL_CONTACTS = 25
DETAIL_DEALS = 10
PICKER_SIZE = 10
CLOSED_VALUES = [Status.RESOLVED.value, Status.CLOSED.value]


def _search_text(request: PageRequest, *names: str) -> str:
    for name in names or ("q",):
        text = (request.GET.get(name) or "").strip()
        if text:
            return text[:200]
    return ""


def _id_param(request: PageRequest, name: str) -> int | None:
    raw = (request.GET.get(name) or "").strip()
    return int(raw) if raw.isdecimal() and 0 < int(raw) <= MAX_ID else None


def _next_query(query: QueryDict, cursor: str | None, name: str = "cursor") -> str | None:
    if not cursor:
        return None
    params = query.copy()
    params[name] = cursor
    return params.urlencode()


def _cases_url(**params: Any) -> str:
    return f"{reverse('console:case_list')}?{urlencode(params)}"


def _case_sections(request: PageRequest, tenant: Tenant, *, account_id: int | None = None,
                   contact_id: int | None = None) -> dict[str, Any]:
    """The open and the recently resolved or closed cases of an account or contact, each a
    bounded keyset page of its own (`open_cursor`, `closed_cursor`)."""
    sections: dict[str, Any] = {}
    query = request.GET.copy()
    for name, filters in (
        ("open", CaseFilters(open_only=True, account_id=account_id, contact_id=contact_id)),
        ("closed", CaseFilters(status=CLOSED_VALUES, account_id=account_id,
                               contact_id=contact_id)),
    ):
        cursor_name = f"{name}_cursor"
        # Open cases newest first; the closed ones by when they last changed (their closing).
        page: Page = case_list(tenant, filters, cursor=request.GET.get(cursor_name) or None,
                               limit=DETAIL_CASES,
                               sort="-number" if name == "open" else "-updated")
        first = query.copy()
        first.pop(cursor_name, None)
        next_query = _next_query(first, page.next_cursor, cursor_name)
        sections[name] = {
            "page": page, "next": f"?{next_query}" if next_query else None,
            "first": f"?{first.urlencode()}" if request.GET.get(cursor_name) else None,
        }
    return sections


# Accounts ------------------------------------------------------------------------------


@member_required
def account_list(request: PageRequest) -> HttpResponse:
    membership = member(request)
    q = _search_text(request)
    cursor = request.GET.get("cursor") or None
    try:
        page = crm_reads.account_page(membership.tenant, q=q or None, cursor=cursor,
                                      limit=PAGE_SIZE)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("console:account_list")
    query = QueryDict(mutable=True)
    if q:
        query["q"] = q
    context = {"nav": "accounts", "q": q, "page": page, "query": query.urlencode(),
               "next_query": _next_query(query, page.next_cursor), "is_first_page": not cursor}
    if request.htmx and request.htmx.target == "account-results":
        return render(request, "console/account_list.html#results", context)
    return render(request, "console/account_list.html", context)


@member_required
def account_detail(request: PageRequest, pk: int) -> HttpResponse:
    membership = member(request)
    account = get_account_for_member(membership, pk)
    try:
        sections = _case_sections(request, membership.tenant, account_id=account.pk)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("console:account_detail", pk=account.pk)
    context = {
        "nav": "accounts", "account": account, "now": clock.now(),
        "summary": crm_reads.account_summary(account),
        "contacts": selectors.account_contacts(account, limit=DETAIL_CONTACTS),
        "deals": selectors.account_deals(account, limit=DETAIL_DEALS),
        "sections": sections,
        "open_cases_url": _cases_url(account=account.pk, open="on"),
        "all_cases_url": _cases_url(account=account.pk),
        "new_case_url": f"{reverse('console:case_new')}?{urlencode({'account': account.pk})}",
    }
    return render(request, "console/account_detail.html", context)


def _account_form_page(request: PageRequest, form: AccountForm, account: Account | None
                       ) -> HttpResponse:
    tenant = member(request).tenant
    suggestions = {name: selectors.account_values(tenant, name)
                   for name in ("tier", "segment", "territory")}
    return render(request, "console/account_form.html", {
        "nav": "accounts", "form": form, "account": account, "suggestions": suggestions})


@member_required
def account_create(request: PageRequest) -> HttpResponse:
    membership = member(request)
    if request.method != "POST":
        return _account_form_page(request, AccountForm(), None)
    form = AccountForm(request.POST)
    if form.is_valid():
        try:
            account = services.account_create(tenant=membership.tenant, **form.changes())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Created the account {account.name}.")
            return redirect("console:account_detail", pk=account.pk)
    return _account_form_page(request, form, None)


@member_required
def account_edit(request: PageRequest, pk: int) -> HttpResponse:
    account = get_account_for_member(member(request), pk)
    if request.method != "POST":
        return _account_form_page(request, AccountForm.for_account(account), account)
    form = AccountForm(request.POST)
    if form.is_valid():
        try:
            services.account_update(account=account, changes=form.changes())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Saved the account.")
            return redirect("console:account_detail", pk=account.pk)
    return _account_form_page(request, form, account)


# Contacts ------------------------------------------------------------------------------


@member_required
def contact_list(request: PageRequest) -> HttpResponse:
    membership = member(request)
    q = _search_text(request)
    account_id = _id_param(request, "account")
    account = (selectors.accounts_by_id(membership.tenant, [account_id]).get(account_id)
               if account_id else None)
    cursor = request.GET.get("cursor") or None
    try:
        page = crm_reads.contact_page(membership.tenant, q=q or None, cursor=cursor,
                                      account_id=account.pk if account else None,
                                      limit=PAGE_SIZE)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("console:contact_list")
    query = QueryDict(mutable=True)
    if q:
        query["q"] = q
    if account:
        query["account"] = str(account.pk)
    context = {"nav": "contacts", "q": q, "account": account, "page": page,
               "query": query.urlencode(), "next_query": _next_query(query, page.next_cursor),
               "is_first_page": not cursor}
    if request.htmx and request.htmx.target == "contact-results":
        return render(request, "console/contact_list.html#results", context)
    return render(request, "console/contact_list.html", context)


@member_required
def contact_detail(request: PageRequest, pk: int) -> HttpResponse:
    membership = member(request)
    contact = get_contact_for_member(membership, pk)
    try:
        sections = _case_sections(request, membership.tenant, contact_id=contact.pk)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("console:contact_detail", pk=contact.pk)
    new_case = {"contact": contact.pk}
    if contact.account_id:
        new_case["account"] = contact.account_id
    context = {
        "nav": "contacts", "contact": contact, "now": clock.now(), "sections": sections,
        "open_cases": crm_reads.open_case_counts(membership.tenant, by="contact",
                                                 ids=[contact.pk]).get(contact.pk, 0),
        "new_case_url": f"{reverse('console:case_new')}?{urlencode(new_case)}",
    }
    return render(request, "console/contact_detail.html", context)


def _contact_form_page(request: PageRequest, form: ContactForm, contact: Contact | None
                       ) -> HttpResponse:
    membership = member(request)
    return render(request, "console/contact_form.html", {
        "nav": "contacts", "form": form, "contact": contact,
        "pickers": record_pickers(form, membership, contact=False)})


def _contact_saved(request: PageRequest, membership: Membership, form: ContactForm,
                   contact: Contact | None) -> Contact | None:
    try:
        if contact is None:
            return services.contact_create(tenant=membership.tenant, **form.changes())
        return services.contact_update(contact=contact, changes=form.changes())
    except DomainError as error:
        form.add_domain_error(error)
        return None


@member_required
def contact_create(request: PageRequest) -> HttpResponse:
    membership = member(request)
    if request.method != "POST":
        return _contact_form_page(
            request, ContactForm(initial={"account": _id_param(request, "account")}), None)
    form = ContactForm(request.POST)
    if form.is_valid():
        contact = _contact_saved(request, membership, form, None)
        if contact is not None:
            messages.success(request, f"Created the contact {contact}.")
            return redirect("console:contact_detail", pk=contact.pk)
    return _contact_form_page(request, form, None)


@member_required
def contact_edit(request: PageRequest, pk: int) -> HttpResponse:
    membership = member(request)
    contact = get_contact_for_member(membership, pk)
    if request.method != "POST":
        return _contact_form_page(request, ContactForm.for_contact(contact), contact)
    form = ContactForm(request.POST)
    if form.is_valid() and _contact_saved(request, membership, form, contact) is not None:
        messages.success(request, "Saved the contact.")
        return redirect("console:contact_detail", pk=contact.pk)
    return _contact_form_page(request, form, contact)


# Pickers -------------------------------------------------------------------------------


@member_required
def pick_account(request: PageRequest) -> HttpResponse:
    """Accounts matching the picker's text, as options to choose from (an htmx fragment)."""
    membership = member(request)
    q = _search_text(request, "q", "account_q")
    items = [{"id": a.pk, "label": a.name, "detail": a.domain, "text": a.name}
             for a in selectors.account_search(membership.tenant, q, limit=PICKER_SIZE)]
    return render(request, "console/partials/_picker_results.html",
                  {"kind": "account", "items": items, "q": q})


@member_required
def pick_contact(request: PageRequest) -> HttpResponse:
    """Contacts matching the picker's text; with no text, those of the chosen account. Each
    option carries its account, which choosing the contact fills in."""
    membership = member(request)
    q = _search_text(request, "q", "contact_q")
    contacts = selectors.contact_search(membership.tenant, q,
                                        account_id=_id_param(request, "account"),
                                        limit=PICKER_SIZE)
    items = [{"id": c.pk, "label": c.name or c.email, "text": c.name or c.email,
              "detail": " · ".join(filter(None, [c.email if c.name else "",
                                                 c.account.name if c.account else ""])),
              "account_id": c.account_id or "",
              "account_label": c.account.name if c.account is not None else ""}
             for c in contacts]
    return render(request, "console/partials/_picker_results.html",
                  {"kind": "contact", "items": items, "q": q})


urlpatterns = [
    path("accounts", account_list, name="account_list"),
    path("accounts/new", account_create, name="account_create"),
    path("accounts/<int:pk>", account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit", account_edit, name="account_edit"),
    path("contacts", contact_list, name="contact_list"),
    path("contacts/new", contact_create, name="contact_create"),
    path("contacts/<int:pk>", contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit", contact_edit, name="contact_edit"),
    path("pickers/accounts", pick_account, name="pick_account"),
    path("pickers/contacts", pick_contact, name="pick_contact"),
]

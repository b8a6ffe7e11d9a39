"""Accounts and contacts: lists with search, detail pages with their cases, edit and create
forms, and the record pickers other forms search through.

What a page shows of cases (open counts, the case panel) comes from the cases app through
`crm.hooks`; links to the case pages are the console's URL names, resolved when rendering.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import search_term
from casedesk.crm import hooks, selectors, services
from casedesk.crm.access import get_account_for_member, get_contact_for_member
from casedesk.crm.forms import AccountForm, ContactForm, record_pickers
from casedesk.crm.models import Account, Contact
from casedesk.tenancy.web import PageRequest, member, member_required

PAGE_SIZE = 50
DETAIL_CASES = 10
DETAIL_CONTACTS = 25
DETAIL_DEALS = 10
PICKER_SIZE = 10


def _search_text(request: PageRequest, *names: str) -> str:
    for name in names or ("q",):
        text = search_term(request.GET.get(name))
        if text:
            return text
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


def _url(name: str, **params: Any) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def _case_sections(request: PageRequest, record: Account | Contact
                   ) -> tuple[hooks.CasePanel, dict[str, Any]]:
    """The record's case panel, and its open and its resolved or closed cases as the page
    shows them: each a bounded keyset page of its own (`open_cursor`, `closed_cursor`) with
    links to the next page and back to the first."""
    panel = hooks.case_panel(record, open_cursor=request.GET.get("open_cursor") or None,
                             closed_cursor=request.GET.get("closed_cursor") or None,
                             limit=DETAIL_CASES)
    sections: dict[str, Any] = {}
    for name, page in (("open", panel.open), ("closed", panel.closed)):
        cursor_name = f"{name}_cursor"
        first = request.GET.copy()
        first.pop(cursor_name, None)
        next_query = _next_query(first, page.next_cursor, cursor_name)
        sections[name] = {
            "page": page, "next": f"?{next_query}" if next_query else None,
            "first": f"?{first.urlencode()}" if request.GET.get(cursor_name) else None,
        }
    return panel, sections


# Accounts ------------------------------------------------------------------------------


@member_required
def account_list(request: PageRequest) -> HttpResponse:
    membership = member(request)
    q = _search_text(request)
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.account_page(membership.tenant, q=q or None, cursor=cursor,
                                      limit=PAGE_SIZE)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("crm:account_list")
    query = QueryDict(mutable=True)
    if q:
        query["q"] = q
    context = {"nav": "accounts", "q": q, "page": page, "query": query.urlencode(),
               "next_query": _next_query(query, page.next_cursor), "is_first_page": not cursor}
    if request.htmx and request.htmx.target == "account-results":
        return render(request, "crm/account_list.html#results", context)
    return render(request, "crm/account_list.html", context)


@member_required
def account_detail(request: PageRequest, pk: int) -> HttpResponse:
    account = get_account_for_member(member(request), pk)
    try:
        panel, sections = _case_sections(request, account)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("crm:account_detail", pk=account.pk)
    context = {
        "nav": "accounts", "account": account, "now": clock.now(),
        "summary": selectors.account_summary(account, panel),
        "contacts": selectors.account_contacts(account, limit=DETAIL_CONTACTS),
        "deals": selectors.account_deals(account, limit=DETAIL_DEALS),
        "sections": sections,
        "open_cases_url": _url("console:case_list", account=account.pk, open="on"),
        "all_cases_url": _url("console:case_list", account=account.pk),
        "new_case_url": _url("console:case_new", account=account.pk),
    }
    return render(request, "crm/account_detail.html", context)


def _account_form_page(request: PageRequest, form: AccountForm, account: Account | None
                       ) -> HttpResponse:
    tenant = member(request).tenant
    suggestions = {name: selectors.account_values(tenant, name)
                   for name in ("tier", "segment", "territory")}
    return render(request, "crm/account_form.html", {
        "nav": "accounts", "form": form, "account": account, "suggestions": suggestions})


@member_required
def account_create(request: PageRequest) -> HttpResponse:
    if request.method != "POST":
        return _account_form_page(request, AccountForm(), None)
    form = AccountForm(request.POST)
    if form.is_valid():
        try:
            account = services.account_create(tenant=member(request).tenant,
                                              **form.changes())
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, f"Created the account {account.name}.")
            return redirect("crm:account_detail", pk=account.pk)
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
            form.add_domain_error(error)
        else:
            messages.success(request, "Saved the account.")
            return redirect("crm:account_detail", pk=account.pk)
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
        page = selectors.contact_page(membership.tenant, q=q or None, cursor=cursor,
                                      account_id=account.pk if account else None,
                                      limit=PAGE_SIZE)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("crm:contact_list")
    query = QueryDict(mutable=True)
    if q:
        query["q"] = q
    if account:
        query["account"] = str(account.pk)
    context = {"nav": "contacts", "q": q, "account": account, "page": page,
               "query": query.urlencode(), "next_query": _next_query(query, page.next_cursor),
               "is_first_page": not cursor}
    if request.htmx and request.htmx.target == "contact-results":
        return render(request, "crm/contact_list.html#results", context)
    return render(request, "crm/contact_list.html", context)


@member_required
def contact_detail(request: PageRequest, pk: int) -> HttpResponse:
    contact = get_contact_for_member(member(request), pk)
    try:
        panel, sections = _case_sections(request, contact)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("crm:contact_detail", pk=contact.pk)
    new_case = {"contact": contact.pk}
    if contact.account_id:
        new_case["account"] = contact.account_id
    context = {
        "nav": "contacts", "contact": contact, "now": clock.now(), "sections": sections,
        "open_cases": panel.open_count,
        "new_case_url": _url("console:case_new", **new_case),
    }
    return render(request, "crm/contact_detail.html", context)


def _contact_form_page(request: PageRequest, form: ContactForm, contact: Contact | None
                       ) -> HttpResponse:
    return render(request, "crm/contact_form.html", {
        "nav": "contacts", "form": form, "contact": contact,
        "pickers": record_pickers(form, member(request), contact=False)})


def _contact_saved(request: PageRequest, form: ContactForm, contact: Contact | None
                   ) -> Contact | None:
    try:
        if contact is None:
            return services.contact_create(tenant=member(request).tenant, **form.changes())
        return services.contact_update(contact=contact, changes=form.changes())
    except DomainError as error:
        form.add_domain_error(error)
        return None


@member_required
def contact_create(request: PageRequest) -> HttpResponse:
    if request.method != "POST":
        return _contact_form_page(
            request, ContactForm(initial={"account": _id_param(request, "account")}), None)
    form = ContactForm(request.POST)
    if form.is_valid():
        contact = _contact_saved(request, form, None)
        if contact is not None:
            messages.success(request, f"Created the contact {contact}.")
            return redirect("crm:contact_detail", pk=contact.pk)
    return _contact_form_page(request, form, None)


@member_required
def contact_edit(request: PageRequest, pk: int) -> HttpResponse:
    contact = get_contact_for_member(member(request), pk)
    if request.method != "POST":
        return _contact_form_page(request, ContactForm.for_contact(contact), contact)
    form = ContactForm(request.POST)
    if form.is_valid() and _contact_saved(request, form, contact) is not None:
        messages.success(request, "Saved the contact.")
        return redirect("crm:contact_detail", pk=contact.pk)
    return _contact_form_page(request, form, contact)


# Pickers -------------------------------------------------------------------------------


@member_required
def pick_account(request: PageRequest) -> HttpResponse:
    """Accounts matching the picker's text, as options to choose from (an htmx fragment)."""
    q = _search_text(request, "q", "account_q")
    items = [{"id": a.pk, "label": a.name, "detail": a.domain, "text": a.name}
             for a in selectors.account_search(member(request).tenant, q, limit=PICKER_SIZE)]
    return render(request, "crm/partials/_picker_results.html",
                  {"kind": "account", "items": items, "q": q})


@member_required
def pick_contact(request: PageRequest) -> HttpResponse:
    """Contacts matching the picker's text; with no text, those of the chosen account. Each
    option carries its account, which choosing the contact fills in."""
    q = _search_text(request, "q", "contact_q")
    contacts = selectors.contact_search(member(request).tenant, q,
                                        account_id=_id_param(request, "account"),
                                        limit=PICKER_SIZE)
    items = [{"id": c.pk, "label": c.name or c.email, "text": c.name or c.email,
              "detail": " · ".join(filter(None, [c.email if c.name else "",
                                                 c.account.name if c.account else ""])),
              "account_id": c.account_id or "",
              "account_label": c.account.name if c.account is not None else ""}
             for c in contacts]
    return render(request, "crm/partials/_picker_results.html",
                  {"kind": "contact", "items": items, "q": q})

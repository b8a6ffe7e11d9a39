"""The macro pages: the settings list (`/settings/macros`: the team's shared macros and the
member's own), the macro form, and the case page's macro panel (`/cases/<number>/macros`).

Managers and admins change shared macros; every member reads them and manages their own
personal ones. The case page renders the panel with itself (`case_macros_html`) in the slot
above the composer: a menu of the member's active macros (searchable), a macro's preview on
the case, and "Apply", after which htmx is sent to the case page again (`HX-Redirect`) so
every part of it shows the new state. Without JavaScript the same URLs answer as pages and
the apply form posts, then redirects with a message."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.automation import macros, templating
from casedesk.automation.macro_forms import FIELD_NAMES, MacroForm
from casedesk.automation.models import Macro
from casedesk.cases.access import get_case_for_member
from casedesk.cases.models import Case, PicklistKind
from casedesk.cases.picklists import Picklists
from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.core.pages import AdminList
from casedesk.core.priority import PRIORITY_CHOICES
from casedesk.core.text import search_term
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import member_names
from casedesk.tenancy.web import PageRequest, member, member_required

FORM_TEMPLATE = "automation/macro_form.html"
PANEL_TEMPLATE = "automation/case_macros.html"
# The case page swaps a 4xx marked with this header in place of what was asked for.
PARTIAL_HEADER = "X-Case-Partial"
# Past this many macros the case page's menu offers a search box.
SEARCH_FROM = 8
SHOWN = 50


# --- the settings list ------------------------------------------------------------------------

def _list_context(request: PageRequest, **extra: Any) -> dict[str, Any]:
    membership = member(request)
    rows = list(macros.macros_for_member(membership))
    return {"nav": "settings", "shared": [m for m in rows if m.owner_id is None],
            "mine": [m for m in rows if m.owner_id is not None],
            "can_edit_shared": membership.is_manager, **extra}


MACROS = AdminList("automation/macros.html", "macros", "automation:macros", _list_context)


@member_required
@require_GET
def macro_list(request: PageRequest) -> HttpResponse:
    return MACROS.page(request)


@member_required
@require_POST
def macro_toggle(request: PageRequest, macro_id: int) -> HttpResponse:
    """Switches the macro on (`enable=1`) or off: the state is given, not flipped, so a
    double click cannot undo itself."""
    membership = member(request)
    macro = macros.get_macro_for_member(membership, macro_id, write=True)
    enable = request.POST.get("enable") == "1"
    return MACROS.toggled(request, macro.name, enable, lambda: macros.macro_update(
        macro=macro, changes={"is_active": enable}, now=clock.now()))


@member_required
@require_POST
def macro_delete(request: PageRequest, macro_id: int) -> HttpResponse:
    membership = member(request)
    macro = macros.get_macro_for_member(membership, macro_id, write=True)
    macros.macro_delete(macro=macro)
    return MACROS.done(request, f"“{macro.name}” deleted.")


# --- the form ---------------------------------------------------------------------------------

def _with(values: list[str], current: str) -> list[str]:
    """The choices, with the value the macro holds even if it was retired since."""
    return values if not current or current in values else [current, *values]


def _form_context(membership: Membership, form: MacroForm, macro: Macro | None
                  ) -> dict[str, Any]:
    tenant = membership.tenant
    picklists = Picklists(tenant, kinds=(PicklistKind.TYPE, PicklistKind.CATEGORY,
                                         PicklistKind.SUBCATEGORY))
    value = {name: str(form[name].value() or "") for name in
             ("type", "category", "subcategory", "queue", "owner", "status", "priority")}
    subcategories = {parent: sorted(values) for parent, values
                     in sorted(picklists.values[PicklistKind.SUBCATEGORY].items())}
    return {
        "nav": "settings", "form": form, "macro": macro, "value": value,
        "can_edit": macro is None or macros.may_change(membership, macro),
        "may_share": membership.is_manager and macro is None,
        "priorities": PRIORITY_CHOICES,
        "types": _with(sorted(picklists.all(PicklistKind.TYPE)), value["type"]),
        "categories": _with(sorted(picklists.all(PicklistKind.CATEGORY)), value["category"]),
        "subcategories": subcategories,
        "queues": list(Queue.objects.filter(tenant=tenant, is_active=True).order_by("name")
                       .values_list("pk", "name")),
        "owners": list(member_names(tenant.pk, active_only=True).items()),
        "statuses": [(s.value, s.label) for s in macros.MACRO_STATUSES],
        "variables": templating.VARIABLES,
        "action_url": (reverse("automation:macro", args=[macro.pk]) if macro is not None
                       else reverse("automation:macro_new")),
    }


@member_required
@require_http_methods(["GET", "POST"])
def macro_new(request: PageRequest) -> HttpResponse:
    membership = member(request)
    if request.method == "POST":
        return _save(request, membership, MacroForm(request.POST), None)
    initial = {"scope": "shared" if membership.is_manager else "personal"}
    return render(request, FORM_TEMPLATE,
                  _form_context(membership, MacroForm(initial=initial), None))


@member_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: PageRequest, macro_id: int) -> HttpResponse:
    """The macro's form; read-only for a member who may not change it (an agent and a
    shared macro)."""
    membership = member(request)
    macro = macros.get_macro_for_member(membership, macro_id, write=request.method == "POST")
    if request.method == "POST":
        return _save(request, membership, MacroForm(request.POST), macro)
    form = MacroForm(initial=MacroForm.initial_of(macro))
    return render(request, FORM_TEMPLATE, _form_context(membership, form, macro))


def _save(request: PageRequest, membership: Membership, form: MacroForm, macro: Macro | None
          ) -> HttpResponse:
    """Creates or changes the macro through the service, which checks all of it: a refusal
    shows the form again with the reason on its field, and nothing is stored."""
    if form.is_valid():
        data = form.macro_input()
        try:
            if macro is None:
                macro = macros.macro_create(membership=membership, data=data,
                                            shared=form.is_shared, now=clock.now())
                done = f"Macro “{macro.name}” created."
            else:
                macros.macro_update(macro=macro, changes=vars(data), now=clock.now())
                done = f"Macro “{macro.name}” saved."
        except (Invalid, Conflict) as error:
            add_domain_error(form, error, FIELD_NAMES)
        except DomainError as error:  # PermissionDenied: sharing without being a manager
            form.add_error("scope", error.detail)
        else:
            messages.success(request, done)
            return redirect("automation:macros")
    return render(request, FORM_TEMPLATE, _form_context(membership, form, macro),
                  status=Invalid.status_code)


# --- the case page's panel --------------------------------------------------------------------

def _panel_context(request: PageRequest, case: Case, *, q: str | None = None,
                   **extra: Any) -> dict[str, Any]:
    membership = member(request)
    if q is None:
        q = search_term(request.GET.get("q"))
    total = macros.macros_for_member(membership, active_only=True).count()
    shown = macros.macros_for_member(membership, active_only=True, q=q)[:SHOWN]
    return {"nav": "cases", "case": case, "macros": list(shown), "q": q,
            "searchable": total > SEARCH_FROM, "total": total, **extra}


@member_required
@require_GET
def case_macros(request: PageRequest, number: str) -> HttpResponse:
    """The panel (htmx; `list=1` the list alone, for the search box), or a page of its own."""
    case = get_case_for_member(member(request), number)
    context = _panel_context(request, case)
    if request.htmx:
        part = "list" if request.GET.get("list") else "panel"
        return render(request, f"{PANEL_TEMPLATE}#{part}", context)
    return render(request, PANEL_TEMPLATE, context)


def case_macros_html(request: PageRequest, case: Case) -> SafeString:
    """The case page's macro menu, closed, as the page renders it with itself."""
    context = _panel_context(request, case, q="", embedded=True)
    return render_to_string(f"{PANEL_TEMPLATE}#panel", context, request)


def _preview(request: PageRequest, case: Case, macro: Macro, *, error: str = "",
             status: int = 200) -> HttpResponse:
    preview = macros.macro_preview(macro=macro, case=case, now=clock.now())
    extra: dict[str, Any] = {
        "macro": macro, "preview": preview, "error": error,
        "changes": [line for line in preview.lines if line.field != "reply"]}
    if request.htmx:
        response = render(request, f"{PANEL_TEMPLATE}#preview",
                          {"case": case, **extra}, status=status)
        if status >= 400:
            response[PARTIAL_HEADER] = "1"
        return response
    return render(request, PANEL_TEMPLATE, _panel_context(request, case, **extra),
                  status=status)


@member_required
@require_GET
def case_macro_preview(request: PageRequest, number: str, macro_id: int) -> HttpResponse:
    """What the macro would do to the case, with the reply rendered; changes nothing."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    return _preview(request, case, macros.get_macro_for_member(membership, macro_id))


@member_required
@require_POST
def case_macro_apply(request: PageRequest, number: str, macro_id: int) -> HttpResponse:
    """Applies the macro, then shows the case page again (htmx: `HX-Redirect`)."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    macro = macros.get_macro_for_member(membership, macro_id)
    here = reverse("console:case_detail", args=[case.display_number])
    try:
        macros.check_active(macro)
        result = macros.macro_apply(macro=macro, case=case, actor=membership.user,
                                    now=clock.now())
    except (Invalid, Conflict) as error:
        if request.htmx:
            fresh = get_case_for_member(membership, number)
            return _preview(request, fresh, macro, error=error.detail,
                            status=error.status_code)
        messages.error(request, error.detail)
        return redirect("automation:case_macro_preview", case.display_number, macro.pk)
    done = (f"Applied “{macro.name}”." if result.changes
            else f"“{macro.name}” had nothing to change on {case.display_number}.")
    messages.success(request, done)
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = here
        return response
    return redirect(here)


urls: list[URLPattern] = []
urls += [
    path("settings/macros", macro_list, name="macros"),
    path("settings/macros/new", macro_new, name="macro_new"),
    path("settings/macros/<int:macro_id>", macro_edit, name="macro"),
    path("settings/macros/<int:macro_id>/toggle", macro_toggle, name="macro_toggle"),
    path("settings/macros/<int:macro_id>/delete", macro_delete, name="macro_delete"),
    path("cases/<str:number>/macros", case_macros, name="case_macros"),
    path("cases/<str:number>/macros/<int:macro_id>", case_macro_preview,
         name="case_macro_preview"),
    path("cases/<str:number>/macros/<int:macro_id>/apply", case_macro_apply,
         name="case_macro_apply"),
]

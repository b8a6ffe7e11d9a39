"""Merging cases from the case page: "Merge…" picks the duplicates by number (this case is
the target) or the case to merge this one into, a confirmation lists what moves, and the
target's page shows a banner with Undo while the merge can be taken back.

The panel (banner and the Merge… form) comes with the case page (`merge_panel_html`) and
loads again with htmx when the case changes, like the linked cases; the merge page itself
(`/cases/<number>/merge`) works with plain form posts: step `preview` shows what moves or
the form's errors, step `confirm` merges and opens the target.
"""

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.cases.access import get_case_for_member
from casedesk.cases.merge import (
    MAX_SOURCES,
    UNDO_WINDOW,
    case_merge,
    case_merge_undo,
    merge_preview,
    merges_into,
)
from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid, NotFound
from casedesk.core.text import check_text
from casedesk.mail.models import InboundMessage
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import PageRequest, member, member_required

PAGE = "console/case_merge.html"
PANEL = "console/partials/_merge_panel.html"
_SPLIT = re.compile(r"[\s,;]+")


class MergeForm(forms.Form):
    """The merge dialog: which way, the other cases' numbers, and the account confirmation."""

    direction = forms.ChoiceField(
        choices=[("into_this", "Merge duplicates into this case"),
                 ("this_into", "Merge this case into another")],
        initial="into_this", widget=forms.RadioSelect, label="Merge")
    numbers = forms.CharField(
        max_length=400, label="Case numbers",
        help_text="The duplicates to merge into this case, e.g. CS-12, CS-14 — or, to merge "
                  "this case into another, that case's number.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "CS-12"}))
    confirm_other_account = forms.BooleanField(
        required=False, label="Merge even if the cases belong to different accounts")

    def clean_numbers(self) -> list[str]:
        try:
            raw = check_text(self.cleaned_data["numbers"], field="numbers", label="The numbers")
        except Invalid as error:
            raise forms.ValidationError(error.detail) from None
        numbers = list(dict.fromkeys(n for n in _SPLIT.split(raw.strip()) if n))
        if not numbers:
            raise forms.ValidationError("Name at least one case number.")
        if len(numbers) > MAX_SOURCES:
            raise forms.ValidationError(f"Merge at most {MAX_SOURCES} cases at once.")
        return numbers


def _cases(form: MergeForm, membership: Membership, case: Case) -> tuple[Case, list[Case]]:
    """The target and the duplicates the form names; NotFound names the unknown number."""
    others = [get_case_for_member(membership, n) for n in form.cleaned_data["numbers"]]
    if form.cleaned_data["direction"] == "this_into":
        if len(others) != 1:
            raise Invalid("Name the one case to merge this case into.", field="numbers")
        return others[0], [case]
    return case, others


def _mail_counts(sources: list[Case]) -> dict[str, int]:
    return {s.display_number: InboundMessage.objects.filter(tenant_id=s.tenant_id, case=s)
            .count() for s in sources}


def _page(request: PageRequest, case: Case, form: MergeForm, *, status: int = 200,
          **extra: Any) -> HttpResponse:
    return render(request, PAGE, {"nav": "cases", "case": case, "form": form, **extra},
                  status=status)


@member_required
@require_GET
def merge_panel(request: PageRequest, number: str) -> HttpResponse:
    """The case page's merge banner (recent merges into this case, with Undo while it can
    be taken back) and its Merge… form."""
    case = get_case_for_member(member(request), number)
    return HttpResponse(merge_panel_html(request, case))


def merge_panel_html(request: PageRequest, case: Case) -> SafeString:
    """The panel's content; the case page renders it with itself the first time."""
    return render_to_string(PANEL, {"case": case, "merges": merges_into(case, clock.now()),
                                    "form": MergeForm(), "window_hours": _hours()}, request)


def _hours() -> int:
    return int(UNDO_WINDOW.total_seconds() // 3600)


@member_required
@require_http_methods(["GET", "POST"])
def merge_page(request: PageRequest, number: str) -> HttpResponse:
    """GET: the form. POST `step=preview`: what would move (or the form's errors);
    `step=confirm`: merges, then opens the target with a message."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    if request.method == "GET":
        return _page(request, case, MergeForm())
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _page(request, case, form, status=422)
    confirm = form.cleaned_data["confirm_other_account"]
    try:
        target, sources = _cases(form, membership, case)
        if request.POST.get("step") != "confirm":
            preview = merge_preview(target, sources, confirm_other_account=confirm)
            mail = _mail_counts(sources)
            return _page(request, case, form, target=target,
                         preview=[(p, mail[p.number]) for p in preview])
        case_merge(target=target, sources=sources, actor=membership.user, now=clock.now(),
                   confirm_other_account=confirm)
    except DomainError as error:
        form.add_error("numbers", error.detail)
        return _page(request, case, form, status=error.status_code if not isinstance(
            error, NotFound) else 422)
    merged = ", ".join(s.display_number for s in sources)
    messages.success(request, f"{merged} merged into {target.display_number}.")
    return redirect("console:case_detail", target.display_number)


@member_required
@require_POST
def merge_undo(request: PageRequest, number: str) -> HttpResponse:
    """Undoes the merge into this case (or of this case); the refusal, if any, says why."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    try:
        result = case_merge_undo(case=case, actor=membership.user, now=clock.now())
    except DomainError as error:
        messages.error(request, f"The merge was not undone: {error.detail}")
        return redirect("console:case_detail", case.display_number)
    restored = ", ".join(r.source.display_number for r in result.records)
    messages.success(request, f"Merge undone: {restored} restored.")
    return redirect("console:case_detail", case.display_number)


urlpatterns = [
    path("cases/<str:number>/merge", merge_page, name="case_merge"),
    path("cases/<str:number>/merge/panel", merge_panel, name="case_merge_panel"),
    path("cases/<str:number>/merge/undo", merge_undo, name="case_merge_undo"),
]

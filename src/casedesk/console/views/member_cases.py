"""A member's open cases, and handing all of them on in one step (after deactivating them,
say): `/settings/people/<id>/cases`. In the console because it changes cases, which stand
above the people pages of `tenancy`."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.cases import people
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.tenancy.access import find_colleague, get_member
from casedesk.tenancy.selectors import members_of
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

SHOWN = 500


@member_required
@require_http_methods(["GET", "POST"])
def member_cases(request: PageRequest, user_id: int) -> HttpResponse:
    membership = require_manager(member(request))
    owner = get_member(membership, user_id)
    error = ""
    if request.method == "POST":
        require_admin(membership)
        raw = request.POST.get("to") or ""
        try:
            to = None
            if raw != "queue":
                to = find_colleague(membership, int(raw)) if raw.isdecimal() else None
                if to is None:
                    raise Invalid("Choose who takes the cases.", field="to")
            moved = people.cases_hand_on(member=owner, actor=membership.user, to=to,
                                         now=clock.now())
        except DomainError as refusal:
            error = refusal.detail
        else:
            where = to.user.display_name if to else "their queues, unassigned"
            messages.success(request, f"{moved} case{'s' if moved != 1 else ''} of "
                                      f"{owner.user.display_name} handed on to {where}.")
            return redirect("tenancy:person", user_id=owner.user_id)
    cases = list(people.open_cases_of(owner)[:SHOWN + 1])
    return render(request, "console/member_cases.html", {
        "nav": "settings", "owner": owner, "cases": cases[:SHOWN],
        "more": len(cases) > SHOWN, "can_edit": membership.is_admin, "error": error,
        "colleagues": [m for m in members_of(membership.tenant_id) if m.pk != owner.pk]},
        status=422 if error else 200)

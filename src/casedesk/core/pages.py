"""What every admin list page answers: the page, the list again after a change, a refusal.

Each domain's set-up pages (routing rules, queues, SLA policies, calendars, escalation
rules, mailboxes) are an ordered list with controls: htmx posts get the list fragment back
(with a message for screen readers), plain posts a redirect and a message, and a refusal is a
4xx text the page shows as a toast (or a message after the redirect without JavaScript).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.middleware import HtmxDetails

from casedesk.core.errors import Conflict, DomainError, Invalid, NotFound
from casedesk.core.ordering import moved
from casedesk.core.schemas import MAX_ID


class HtmxRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (`request.htmx` is falsy without
    htmx)."""

    htmx: HtmxDetails


def refused(request: HtmxRequest, error: DomainError, back: str) -> HttpResponse:
    """Nothing changed: htmx shows the reason as a toast, a plain post goes back to the page
    the URL name `back` names with the reason as a message."""
    if request.htmx:
        return HttpResponse(error.detail, status=error.status_code, content_type="text/plain")
    messages.error(request, error.detail)
    return redirect(back)


@dataclass(frozen=True)
class AdminList:
    """One admin list: its template, the `{% partialdef %}` htmx swaps after a change, the
    URL name a plain post returns to, and the function that builds its context."""

    template: str
    fragment: str
    url_name: str
    context: Callable[..., dict[str, Any]]

    def page(self, request: HtmxRequest, **extra: Any) -> HttpResponse:
        return render(request, self.template, self.context(request, **extra))

    def done(self, request: HtmxRequest, message: str) -> HttpResponse:
        """After a change: htmx gets the list with the message, a plain post the page."""
        if request.htmx:
            return render(request, f"{self.template}#{self.fragment}",
                          self.context(request, flash=message))
        messages.success(request, message)
        return redirect(self.url_name)

    def refused(self, request: HtmxRequest, error: DomainError) -> HttpResponse:
        return refused(request, error, self.url_name)

    def toggled(self, request: HtmxRequest, name: str, enable: bool,
                change: Callable[[], object]) -> HttpResponse:
        """Enables or disables an item (the state is given, not flipped, so a double click
        cannot undo itself) through `change`, and answers."""
        try:
            change()
        except (Invalid, Conflict) as error:
            return self.refused(request, error)
        return self.done(request, f"“{name}” {'enabled' if enable else 'disabled'}.")

    def moved(self, request: HtmxRequest, *, pk: int, name: str, order: list[int],
              reorder: Callable[[list[int]], object], missing: str) -> HttpResponse:
        """Moves an item one place up or down (the POST's `direction`), the keyboard's way to
        reorder, through `reorder(new order)`; NotFound(`missing`) when it left the list."""
        if pk not in order:  # deleted meanwhile
            raise NotFound(missing)
        direction = request.POST.get("direction")
        move = moved(order, pk, direction)
        if move is None:
            return self.done(request, f"“{name}” stays at place {order.index(pk) + 1}.")
        new_order, to = move
        try:
            reorder(new_order)
        except (Invalid, Conflict) as error:
            return self.refused(request, error)
        return self.done(request, f"“{name}” moved {direction} to place {to + 1}.")

    def reordered(self, request: HtmxRequest, field: str, noun: str,
                  reorder: Callable[[list[int]], object]) -> HttpResponse:
        """Puts the items in the order the POST gives (what dragging one sends): `field` as
        repeated fields or one comma-separated field of ids; junk is refused."""
        raw = [part for value in request.POST.getlist(field) for part in value.split(",")]
        ids = []
        for part in (p.strip() for p in raw):
            if not part.isdecimal() or not 0 < int(part) <= MAX_ID:
                return self.refused(request, Invalid(f"The order must list {noun} ids.",
                                                     field=field))
            ids.append(int(part))
        try:
            reorder(ids)
        except (Invalid, Conflict) as error:
            return self.refused(request, error)
        return self.done(request, f"{noun.capitalize()}s reordered.")

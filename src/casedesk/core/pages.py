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

from casedesk.core.errors import DomainError


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

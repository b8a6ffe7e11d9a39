"""Answers shared by the console's admin lists."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from casedesk.console.case_context import is_htmx
from casedesk.core.errors import DomainError


def refused(request: HttpRequest, error: DomainError, back: str) -> HttpResponse:
    """Nothing changed: htmx shows the reason as a toast, a plain post goes back to the page
    `back` names with the reason as a message."""
    if is_htmx(request):
        return HttpResponse(error.detail, status=error.status_code, content_type="text/plain")
    messages.error(request, error.detail)
    return redirect(back)

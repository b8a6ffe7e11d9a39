"""Pages that belong to no domain: the start page and the health check."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """Signed-in members go to their inbox; everyone else sees what casedesk is."""
    memberships = []
    if request.user.is_authenticated:
        memberships = list(request.user.memberships.select_related("tenant"))
        if memberships:
            return redirect("console:inbox")
    return render(request, "core/home.html", {"memberships": memberships})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

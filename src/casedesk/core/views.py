"""Pages that belong to no domain: the start page, the health check and the answer to a
sign-in that django-axes holds back."""

import math
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
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


def login_locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """django-axes' lockout answer (`AXES_LOCKOUT_CALLABLE`), for `/login/` and `/admin/login/`:
    the sign-in page again, status 429, saying how long to wait. The words are the same
    whether the account exists or not, and whether the account or the address is held back.
    Each refused try starts the cool-off again, so the whole cool-off is what is left."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, math.ceil(seconds / 60))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    response = render(request, "registration/login.html", {
        "form": AuthenticationForm(request), "locked_out_minutes": minutes, "next": next_url,
    }, status=429)
    response["Retry-After"] = str(seconds)
    return response

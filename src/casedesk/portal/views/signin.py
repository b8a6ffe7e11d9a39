"""Signing in to the portal by a mailed link, and out (`portal.signin` decides)."""

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.forms import add_domain_error
from casedesk.core.redirects import site_base
from casedesk.core.throttle import client_ip, client_key
from casedesk.portal import signin
from casedesk.portal.branding import type_of_stored_logo
from casedesk.portal.config import portal_settings
from casedesk.portal.forms import SignInForm
from casedesk.portal.views import PortalRequest, not_found, portal_page, portal_render
from casedesk.portal.views.cases import my_cases


@portal_page
def home(request: PortalRequest) -> HttpResponse:
    """Signed in: the customer's cases; else the sign-in form."""
    if request.customer is not None:
        return my_cases(request)
    return portal_render(request, "portal/sign_in.html", {"form": SignInForm()})


@require_POST
@portal_page
def sign_in(request: PortalRequest) -> HttpResponse:
    """Mails a link to a contact; answers the same page for any well-formed address."""
    form = SignInForm(request.POST)
    if form.is_valid():
        now = clock.now()
        try:
            with transaction.atomic():
                signin.signin_request_count(tenant=request.tenant,
                                            client=client_key(client_ip(request)), now=now)
                signin.signin_request(tenant=request.tenant, email=form.cleaned_data["email"],
                                      base_url=site_base(request), now=now)
        except signin.TooManyRequests as error:
            form.add_error(None, error.detail)
            response = portal_render(request, "portal/sign_in.html", {"form": form},
                                     status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return portal_render(request, "portal/sign_in_sent.html",
                                 {"email": form.cleaned_data["email"],
                                  "minutes": int(signin.LINK_LIFETIME.total_seconds() // 60)})
    return portal_render(request, "portal/sign_in.html", {"form": form}, status=422)


@portal_page
def sign_in_link(request: PortalRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners fetch links, and must not use them up); POST uses
    the link, sets the portal's cookie and opens "My cases". A used, expired or unknown
    link answers 410 with a page saying so."""
    tenant = request.tenant
    now = clock.now()
    try:
        if request.method != "POST":
            signin.signin_link_find(tenant=tenant, token=token, now=now)
            return portal_render(request, "portal/sign_in_link.html")
        new = signin.signin_complete(tenant=tenant, token=token, now=now)
    except signin.LinkRefused:
        return portal_render(request, "portal/sign_in_refused.html", status=410)
    response = redirect("portal:home", tenant.slug)
    response.set_cookie(
        signin.COOKIE, new.key, max_age=int(signin.SESSION_LIFETIME.total_seconds()),
        path=signin.portal_path(tenant), secure=request.is_secure() or bool(
            getattr(settings, "SESSION_COOKIE_SECURE", False)),
        httponly=True, samesite="Lax")
    return response


@require_POST
@portal_page
def sign_out(request: PortalRequest) -> HttpResponse:
    signin.session_end(tenant=request.tenant, key=request.COOKIES.get(signin.COOKIE, ""))
    response = redirect("portal:home", request.tenant.slug)
    response.delete_cookie(signin.COOKIE, path=signin.portal_path(request.tenant),
                           samesite="Lax")
    return response


@require_safe
@portal_page
def logo(request: PortalRequest) -> HttpResponse | FileResponse:
    """The portal's logo, from the storage (checked as an image when it was uploaded)."""
    stored = portal_settings(request.tenant).logo
    if not stored:
        return not_found(request)
    response = FileResponse(stored.open("rb"), content_type=type_of_stored_logo(stored.name or ""))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300"
    return response

"""The web-to-case form's pages (issue 14).

- `/portal/<slug>/new`: the form in the portal's layout. A signed-in portal customer finds
  their name and address filled in, and their case is of source `portal`. While the subject
  is typed, htmx asks `/portal/<slug>/new/suggestions?q=` for published public articles.
- `/portal/<slug>/embed`: the same form without the portal's chrome, for an <iframe> on the
  sites the tenant lists (`embed_origins`: its Content-Security-Policy's frame-ancestors).
- A post goes on (303) to a thank-you page with the case number, whose address carries it
  signed; spam gets the same page without a case behind it.
- `/settings/web-form`: the admin's settings and the two snippets (managers read it).

CSRF: a plain HTML form on another site cannot carry this site's token, and inside a
third-party <iframe> the browser withholds this site's cookies. So posts from the listed
sites (Origin, else Referer) and from the embed page are taken without the token, as the
anonymous sender they name (never a signed-in customer: there is no ambient identity to
forge); any other post to `/new` needs the token as everywhere else.
"""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.csp import CSP
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from casedesk.cases.models import Source
from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.core.forms import add_domain_error
from casedesk.core.redirects import site_base
from casedesk.core.text import search_term
from casedesk.core.throttle import client_ip, client_key
from casedesk.kb import public_access
from casedesk.kb.visitors import COOKIE, is_visitor_key
from casedesk.portal import webform, webform_settings
from casedesk.portal.config import portal_settings
from casedesk.portal.customers import current_customer
from casedesk.portal.models import PortalSettings, SubmissionOutcome
from casedesk.portal.webform_forms import HONEYPOT, WebForm, WebFormSettingsForm
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

SUGGESTIONS = 5
_FIELDS = {"attachments": "attachments", "embed_origins": "embed_origins"}


def _tenant(slug: str) -> Tenant | None:
    try:
        return public_access.get_tenant(slug)
    except NotFound:
        return None


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "kb/public/not_found.html", {"tenant": None}, status=404)


def _origin(request: HttpRequest) -> str:
    """The site the post came from: its Origin, else its Referer's scheme and host."""
    origin = request.headers.get("Origin", "")
    if origin and origin != "null":
        return origin.lower().rstrip("/")
    parts = urlsplit(request.headers.get("Referer", ""))
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _from_embedding_site(request: HttpRequest, config: PortalSettings) -> bool:
    origin = _origin(request)
    return bool(origin) and origin in set(config.embed_origins or [])


def _csrf_checked(request: HttpRequest) -> HttpResponse:
    """Stands for the view in the CSRF check (which looks whether the view is exempt)."""
    return HttpResponse()


def _csrf_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """What the CSRF check answers for a post that must carry the token (None: it does)."""
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    return middleware.process_view(request, _csrf_checked, (), {})


def _framable(response: HttpResponse, config: PortalSettings) -> HttpResponse:
    """Lets the tenant's listed sites (and this one) show the page in a frame."""
    policy = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = [CSP.SELF, *(config.embed_origins or [])]
    response._csp_config = policy  # type: ignore[attr-defined]
    response.xframe_options_exempt = True
    return response


def _visitor(request: HttpRequest) -> str:
    """The kb reader's key when the browser has one (a visitor who read nothing has none)."""
    value = request.COOKIES.get(COOKIE)
    return value if value is not None and is_visitor_key(value) else ""


def _form(tenant: Tenant, config: PortalSettings, data: Any = None, files: Any = None,
          initial: dict[str, Any] | None = None) -> WebForm:
    return WebForm(data, files, categories=webform.offered_categories(tenant, config),
                   definitions=webform.web_form_fields(tenant), initial=initial)


def _page(request: HttpRequest, tenant: Tenant, config: PortalSettings, form: WebForm, *,
          embed: bool, status: int = 200) -> HttpResponse:
    template = "portal/webform/embed.html" if embed else "portal/webform/form.html"
    action = reverse("portal:webform_embed" if embed else "portal:webform", args=[tenant.slug])
    response = render(request, template, {
        "tenant": tenant, "form": form, "config": config, "action": action, "embed": embed,
        "honeypot": form[HONEYPOT], "max_megabytes": round(config.max_file_bytes / 2**20, 1),
    }, status=status)
    return _framable(response, config) if embed else response


def _thanks_url(tenant: Tenant, number: str, *, embed: bool) -> str:
    name = "portal:webform_embed_thanks" if embed else "portal:webform_thanks"
    return f"{reverse(name, args=[tenant.slug])}?r={webform.thanks_token(number)}"


def _handle(request: HttpRequest, tenant_slug: str, *, embed: bool) -> HttpResponse:
    tenant = _tenant(tenant_slug)
    if tenant is None:
        return _not_found(request)
    config = portal_settings(tenant)
    if not config.form_enabled:
        response = render(request, "portal/webform/closed.html", {"tenant": tenant},
                          status=404)
        return _framable(response, config) if embed else response
    now = clock.now()
    from_site = not embed and request.method == "POST" and _from_embedding_site(request, config)
    customer = None if embed or from_site else current_customer(request, tenant)
    if request.method != "POST":
        initial: dict[str, Any] = {"stamp": webform.fill_stamp(now)}
        if customer is not None:
            initial.update(name=customer.contact.name, email=customer.contact.email)
        return _page(request, tenant, config, _form(tenant, config, initial=initial),
                     embed=embed)
    if not embed and not from_site and (refusal := _csrf_refusal(request)) is not None:
        return refusal  # type: ignore[return-value]
    form = _form(tenant, config, request.POST, request.FILES)
    # The honeypot and the stamp are read whatever else the form holds: a bot's post is
    # spam before it is anything else.
    form.is_valid()
    data = form.cleaned_data
    email = customer.contact.email if customer is not None else data.get("email", "")
    submission = webform.WebFormInput(
        name=customer.contact.name if customer is not None else data.get("name", ""),
        email=email or request.POST.get("email", "")[:254],
        subject=data.get("subject", ""), description=data.get("description", ""),
        category=data.get("category", "") or "",
        custom_fields=form.custom_values() if not form.errors else {},
        files=data.get("attachments") or [],
        client=client_key(client_ip(request)),
        visitor=_visitor(request),
        honeypot=request.POST.get(HONEYPOT, ""), stamp=request.POST.get("stamp", ""),
        source=Source.PORTAL if customer is not None else Source.WEB, from_snippet=from_site)
    try:
        if form.errors:
            # Throttle and spam first, so a bot's malformed posts are counted all the same.
            submitted = webform.screen(tenant=tenant, data=submission, now=now)
        else:
            submitted = webform.submit(tenant=tenant, data=submission, now=now)
    except webform.Throttled as error:
        response = render(request, "portal/webform/throttled.html", {
            "tenant": tenant, "message": error.detail, "embed": embed}, status=429)
        response["Retry-After"] = str(error.retry_after)
        return _framable(response, config) if embed else response
    except webform.UnknownContact as error:
        form.add_error("email", error.detail)
        return _page(request, tenant, config, form, embed=embed, status=403)
    except DomainError as error:
        add_domain_error(form, error, _FIELDS)
        return _page(request, tenant, config, form, embed=embed, status=422)
    if submitted is None:
        return _page(request, tenant, config, form, embed=embed, status=422)
    number = submitted.display_number if submitted.outcome == SubmissionOutcome.ACCEPTED else ""
    return redirect(_thanks_url(tenant, number, embed=embed), permanent=False)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def webform_page(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return _handle(request, tenant_slug, embed=False)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def webform_embed(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return _handle(request, tenant_slug, embed=True)


def _thanks(request: HttpRequest, tenant_slug: str, *, embed: bool) -> HttpResponse:
    tenant = _tenant(tenant_slug)
    if tenant is None:
        return _not_found(request)
    number = webform.read_thanks(request.GET.get("r", ""))
    response = render(request, "portal/webform/thanks.html", {
        "tenant": tenant, "number": number or "", "embed": embed,
        "again": reverse("portal:webform_embed" if embed else "portal:webform",
                         args=[tenant.slug])})
    return _framable(response, portal_settings(tenant)) if embed else response


@require_safe
def webform_thanks(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return _thanks(request, tenant_slug, embed=False)


@require_safe
def webform_embed_thanks(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return _thanks(request, tenant_slug, embed=True)


@require_safe
def webform_suggestions(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Up to SUGGESTIONS published public articles for what the subject says so far."""
    tenant = _tenant(tenant_slug)
    if tenant is None:
        return _not_found(request)
    # htmx sends the subject field under its own name; `q` for anyone else asking.
    q = search_term(request.GET.get("q") or request.GET.get("subject"))
    articles = public_access.search_public(tenant, q, limit=SUGGESTIONS) if q else []
    response = render(request, "portal/webform/_suggestions.html",
                      {"tenant": tenant, "articles": articles})
    return _framable(response, portal_settings(tenant))


@member_required
@require_http_methods(["GET", "POST"])
def webform_settings_page(request: PageRequest) -> HttpResponse:
    """The web form's settings: admins change them, managers read them."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    config = portal_settings(tenant)
    categories = webform.offered_categories(tenant, PortalSettings(tenant=tenant))
    initial = {
        "form_enabled": config.form_enabled, "form_categories": config.form_categories,
        "max_files": config.max_files,
        "max_file_megabytes": round(config.max_file_bytes / 2**20, 1),
        "file_types": config.file_types, "only_known_contacts": config.only_known_contacts,
        "embed_origins": "\n".join(config.embed_origins or []),
    }
    form = WebFormSettingsForm(categories=categories, initial=initial)
    status = 200
    if request.method == "POST":
        require_admin(membership)
        form = WebFormSettingsForm(request.POST, categories=categories)
        if form.is_valid():
            try:
                webform_settings.webform_settings_change(tenant=tenant, changes=form.changes(),
                                                         now=clock.now())
            except DomainError as error:
                add_domain_error(form, error, _FIELDS)
            else:
                messages.success(request, "Web form settings saved.")
                return redirect("portal:webform_settings")
        status = 422
    base = site_base(request)
    return render(request, "portal/webform/settings.html", {
        "nav": "settings", "form": form, "can_edit": membership.is_admin, "tenant": tenant,
        "form_url": base + reverse("portal:webform", args=[tenant.slug]),
        "iframe_snippet": webform_settings.iframe_snippet(tenant, base),
        "form_snippet": webform_settings.form_snippet(tenant, base),
    }, status=status)


urlpatterns: list[URLPattern] = [
    path("portal/<slug:tenant_slug>/new", webform_page, name="webform"),
    path("portal/<slug:tenant_slug>/new/suggestions", webform_suggestions,
         name="webform_suggestions"),
    path("portal/<slug:tenant_slug>/new/thanks", webform_thanks, name="webform_thanks"),
    path("portal/<slug:tenant_slug>/embed", webform_embed, name="webform_embed"),
    path("portal/<slug:tenant_slug>/embed/thanks", webform_embed_thanks,
         name="webform_embed_thanks"),
    path("settings/web-form", webform_settings_page, name="webform_settings"),
]

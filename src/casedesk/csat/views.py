"""The survey page (the customer's, reached by the signed link without signing in) and the
CSAT settings page (`/settings/csat`: admins change, managers read).

The survey page: GET with `rating` records it (one click from the mail) and asks for an
optional comment, which a POST stores (CSRF). A link this installation did not sign, or an
old one, is a 404 page; an expired one a 410 page. Neither tells whose case it was."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.core import clock
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.forms import add_domain_error
from casedesk.csat import access, services
from casedesk.csat.config import CHOICES, csat_settings, rating_label
from casedesk.csat.forms import AnswerForm, SettingsForm
from casedesk.csat.models import Survey
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

SURVEY_TEMPLATE = "csat/survey.html"
GONE_TEMPLATE = "csat/survey_gone.html"


def _private(response: HttpResponse) -> HttpResponse:
    # The page's address is the customer's key to the survey: kept out of caches and out of
    # the Referer of a link to another site ("no-referrer" would also make the browser send
    # `Origin: null` with the comment's POST, which Django's CSRF check refuses).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _page(request: HttpRequest, survey: Survey, form: AnswerForm, *, saved: bool = False,
          status: int = 200) -> HttpResponse:
    case = survey.case
    return _private(render(request, SURVEY_TEMPLATE, {
        "survey": survey, "case": case, "tenant": case.tenant, "form": form, "saved": saved,
        "choices": CHOICES[survey.scale],
        "rating_label": rating_label(survey.scale, survey.rating)}, status=status))


def _gone(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return _private(render(request, GONE_TEMPLATE, {"expired": expired},
                           status=410 if expired else 404))


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    now = clock.now()
    try:
        found = access.survey_for_token(token, now)
    except NotFound:
        return _gone(request, expired=False)
    except access.SurveyExpired:
        return _gone(request, expired=True)
    data = request.POST if request.method == "POST" else request.GET
    form = AnswerForm(data, scale=found.scale)
    if request.method == "GET" and "rating" not in request.GET:
        return _page(request, found, AnswerForm(scale=found.scale))
    if not form.is_valid():
        return _page(request, found, form, status=Invalid.status_code)
    rating, comment = form.cleaned_data["rating"], form.cleaned_data["comment"]
    try:
        if rating is not None:
            found = services.survey_answer(survey_id=found.pk, rating=rating, now=now)
        if request.method == "POST":
            found = services.survey_comment(survey_id=found.pk, comment=comment, now=now)
    except Invalid as error:
        add_domain_error(form, error)
        return _page(request, found, form, status=Invalid.status_code)
    fresh = AnswerForm(initial={"rating": str(found.rating), "comment": found.comment},
                       scale=found.scale)
    return _page(request, found, fresh, saved=request.method == "POST")


@member_required
@require_http_methods(["GET", "POST"])
def settings_page(request: PageRequest) -> HttpResponse:
    """When and to whom surveys go, and their scale."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    config = csat_settings(tenant)
    if request.method == "GET":
        form = SettingsForm(initial=SettingsForm.initial_of(config), tenant_id=tenant.pk)
        return _settings(request, form, can_edit=membership.is_admin)
    require_admin(membership)
    form = SettingsForm(request.POST, tenant_id=tenant.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.csat_settings_update(tenant=tenant, now=clock.now(),
                                          change=services.SettingsChange(
                                              enabled=data["enabled"],
                                              delay_hours=data["delay_hours"],
                                              scale=data["scale"],
                                              queues=[q.pk for q in data["queues"]]))
        except Invalid as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Survey settings saved.")
            return redirect("csat:settings")
    return _settings(request, form, can_edit=True, status=Invalid.status_code)


def _settings(request: PageRequest, form: SettingsForm, *, can_edit: bool,
              status: int = 200) -> HttpResponse:
    return render(request, "csat/settings.html", {"nav": "settings", "form": form,
                                                  "can_edit": can_edit}, status=status)

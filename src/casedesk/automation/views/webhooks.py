"""The webhook pages: `/automations/webhooks` (the endpoints with their state, last delivery
and failures, and the form to add one) and `/automations/webhooks/<id>` (its settings, secret,
switch, deletion, "Send a test event", and the delivery log newest first with "Send again").

Managers read; admins change, and only admins see the secret; agents get a 403. Buttons are
plain posts answered with a redirect and a message; a refused form shows again with the
reason on its field and nothing saved. Objects are fetched as the API fetches them."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.automation import webhooks
from casedesk.automation.models import WebhookEndpoint
from casedesk.automation.webhook_delivery import DISABLE_AFTER, MAX_ATTEMPTS
from casedesk.automation.webhook_forms import EndpointForm
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.forms import add_domain_error
from casedesk.core.pages import refused
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

LOG_PAGE = 25


def _list_page(request: PageRequest, membership: Membership, form: EndpointForm, *,
               status: int = 200) -> HttpResponse:
    return render(request, "automation/webhooks.html", {
        "nav": "automation", "endpoints": webhooks.endpoints_of(membership.tenant),
        "form": form, "can_edit": membership.is_admin, "disable_after": DISABLE_AFTER},
                  status=status)


@member_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    if request.method != "POST":
        return _list_page(request, membership, EndpointForm())
    require_admin(membership)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = webhooks.endpoint_create(tenant=membership.tenant, data=form.values(),
                                                now=clock.now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Webhook “{endpoint.name}” added. Give its secret to "
                                      "the receiver so it can check the signature.")
            return redirect("automation:webhook", endpoint.pk)
    return _list_page(request, membership, form, status=Invalid.status_code)


def _detail_page(request: PageRequest, membership: Membership, endpoint: WebhookEndpoint,
                 form: EndpointForm, *, status: int = 200) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        page = webhooks.delivery_page(endpoint, cursor=cursor, limit=LOG_PAGE)
    except Invalid:
        page = webhooks.delivery_page(endpoint, limit=LOG_PAGE)
    return render(request, "automation/webhook.html", {
        "nav": "automation", "endpoint": endpoint, "form": form,
        "can_edit": membership.is_admin, "deliveries": page.items,
        "next_cursor": page.next_cursor, "paged": cursor is not None,
        "max_attempts": MAX_ATTEMPTS}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: PageRequest, endpoint_id: int) -> HttpResponse:
    membership = require_manager(member(request))
    endpoint = webhooks.get_endpoint_for_member(membership, endpoint_id)
    if request.method != "POST":
        return _detail_page(request, membership, endpoint, EndpointForm.for_endpoint(endpoint))
    require_admin(membership)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = webhooks.endpoint_update(endpoint=endpoint, changes=form.changes(),
                                                now=clock.now())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Webhook “{endpoint.name}” saved.")
            return redirect("automation:webhook", endpoint.pk)
    return _detail_page(request, membership, endpoint, form, status=Invalid.status_code)


def _admin_endpoint(request: PageRequest, endpoint_id: int) -> WebhookEndpoint:
    return webhooks.get_endpoint_for_member(require_admin(member(request)), endpoint_id)


@member_required
@require_POST
def webhook_rotate(request: PageRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _admin_endpoint(request, endpoint_id)
    webhooks.endpoint_rotate_secret(endpoint=endpoint, now=clock.now())
    messages.success(request, f"“{endpoint.name}” has a new secret: posts are signed with it "
                              "from now on. Give it to the receiver.")
    return redirect("automation:webhook", endpoint.pk)


@member_required
@require_POST
def webhook_toggle(request: PageRequest, endpoint_id: int) -> HttpResponse:
    """Switches on or off as the form says (`enabled` 1 or 0): a double click cannot undo
    itself."""
    endpoint = _admin_endpoint(request, endpoint_id)
    enabled = request.POST.get("enabled") == "1"
    webhooks.endpoint_set_enabled(endpoint=endpoint, enabled=enabled, now=clock.now())
    messages.success(request, f"“{endpoint.name}” switched {'on' if enabled else 'off'}.")
    return redirect("automation:webhook", endpoint.pk)


@member_required
@require_POST
def webhook_delete(request: PageRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _admin_endpoint(request, endpoint_id)
    webhooks.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Webhook “{endpoint.name}” deleted with its delivery log.")
    return redirect("automation:webhooks")


@member_required
@require_POST
def webhook_test(request: PageRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _admin_endpoint(request, endpoint_id)
    back = reverse("automation:webhook", args=[endpoint.pk])
    try:
        webhooks.endpoint_send_test(endpoint=endpoint, now=clock.now())
    except DomainError as error:
        return refused(request, error, back)
    messages.success(request, "A test event is queued: the worker posts it within seconds. "
                              "Reload to see the answer in the log.")
    return redirect(back)


@member_required
@require_POST
def webhook_redeliver(request: PageRequest, delivery_id: int) -> HttpResponse:
    delivery = webhooks.get_delivery_for_member(require_admin(member(request)), delivery_id)
    back = reverse("automation:webhook", args=[delivery.endpoint_id])
    try:
        again = webhooks.delivery_redeliver(delivery=delivery, now=clock.now())
    except DomainError as error:
        return refused(request, error, back)
    messages.success(request, f"Delivery {delivery.pk} is queued again as delivery "
                              f"{again.pk}: the worker posts it within seconds.")
    return redirect(back)


urls: list[URLPattern] = [
    path("automations/webhooks", webhook_list, name="webhooks"),
    path("automations/webhooks/<int:endpoint_id>", webhook_detail, name="webhook"),
    path("automations/webhooks/<int:endpoint_id>/rotate", webhook_rotate,
         name="webhook_rotate"),
    path("automations/webhooks/<int:endpoint_id>/toggle", webhook_toggle,
         name="webhook_toggle"),
    path("automations/webhooks/<int:endpoint_id>/delete", webhook_delete,
         name="webhook_delete"),
    path("automations/webhooks/<int:endpoint_id>/test", webhook_test, name="webhook_test"),
    path("automations/webhooks/deliveries/<int:delivery_id>/redeliver", webhook_redeliver,
         name="webhook_redeliver"),
]

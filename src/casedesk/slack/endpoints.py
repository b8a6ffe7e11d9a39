"""The three Request URLs a tenant's Slack app calls, `/slack/<tenant slug>/commands`,
`/interactions` and `/events`: CSRF-exempt (Slack signs them instead), each verified before
anything is read from it. A refusal is a 401 with a plain message. Slack wants an answer
within 3 seconds: the work is one transaction, and posting to Slack is left to the worker."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.slack.domain import ephemeral, form_fields, json_object
from casedesk.slack.inbound import (
    Refused,
    command_take,
    event_take,
    request_verify,
    shortcut_take,
)
from casedesk.slack.models import SlackInstallation

log = logging.getLogger(__name__)

PLAIN = "text/plain; charset=utf-8"


def _verified(request: HttpRequest, slug: str, body: bytes) -> SlackInstallation:
    return request_verify(
        slug=slug,
        body=body,
        now=clock.now(),
        timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        signature=request.headers.get("X-Slack-Signature"),
    )


def _refused(refusal: Refused) -> HttpResponse:
    return HttpResponse(refusal.detail, status=401, content_type=PLAIN)


def _raw_body(request: HttpRequest) -> bytes | None:
    """The body as sent, which the signature covers; None when a multipart body (which Slack
    never sends) was already parsed from the stream by the middleware's text check."""
    try:
        return request.body
    except RawPostDataException:
        return None


def _unreadable(what: str) -> HttpResponse:
    return HttpResponse(f"The {what} could not be read.", status=400, content_type=PLAIN)


@csrf_exempt
@require_POST
def commands(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """`/case <text>`: answered with the ephemeral message Slack shows the user alone."""
    body = _raw_body(request)
    if body is None:
        return _unreadable("request")
    fields = form_fields(body)
    if fields.get("ssl_check") == "1":  # Slack checking the certificate: nothing to do
        return HttpResponse(status=200)
    try:
        installation = _verified(request, tenant_slug, body)
    except Refused as refusal:
        return _refused(refusal)
    try:
        answer = command_take(installation=installation, fields=fields, now=clock.now())
    except DomainError as error:
        answer = ephemeral(f"Nothing was opened: {error.detail}")
    return JsonResponse(answer)


@csrf_exempt
@require_POST
def interactions(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Interactivity: the message shortcut makes a case; an empty 200 tells Slack it was
    taken (the confirmation goes into the thread)."""
    body = _raw_body(request)
    if body is None:
        return _unreadable("request")
    try:
        installation = _verified(request, tenant_slug, body)
    except Refused as refusal:
        return _refused(refusal)
    payload = json_object(form_fields(body).get("payload", ""))
    if payload is None:
        return _unreadable("interaction payload")
    try:
        shortcut_take(installation=installation, payload=payload, now=clock.now())
    except DomainError as error:
        log.warning("Slack shortcut for %s refused: %s", tenant_slug, error.detail)
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def events(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The Events API: the URL check's challenge, replies in case threads. A refusal by the
    case services (such text cannot be stored) is logged and acknowledged: Slack's retries
    would meet it again. Anything unexpected is a 500, and Slack tries again."""
    body = _raw_body(request)
    if body is None:
        return _unreadable("request")
    try:
        installation = _verified(request, tenant_slug, body)
    except Refused as refusal:
        return _refused(refusal)
    payload = json_object(body)
    if payload is None:
        return _unreadable("event")
    try:
        answer = event_take(installation=installation, body=payload, now=clock.now())
    except DomainError as error:
        log.warning("Slack event for %s refused: %s", tenant_slug, error.detail)
        answer = None
    return JsonResponse(answer) if answer is not None else HttpResponse(status=200)

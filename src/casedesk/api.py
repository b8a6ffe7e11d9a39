"""The REST API at /api/v1: mounts each app's router; errors are JSON `{"detail": ...}`."""

import contextlib
import copy
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from casedesk.assist.similar_api import router as similar_router
from casedesk.assist.triage_api import router as triage_router
from casedesk.assist.whatif_api import router as whatif_router
from casedesk.automation.macros_api import router as macros_router
from casedesk.automation.rules_api import router as automation_rules_router
from casedesk.automation.webhooks_api import router as webhooks_router
from casedesk.calls.api import router as calls_router
from casedesk.cases.api import router as cases_router
from casedesk.cases.attachments_api import router as note_attachments_router
from casedesk.cases.config_api import router as config_router
from casedesk.cases.crm_api import router as crm_cases_router
from casedesk.cases.links_api import router as case_links_router
from casedesk.cases.merge_api import router as case_merge_router
from casedesk.cases.people_api import router as people_cases_router
from casedesk.cases.sla_api import router as sla_cases_router
from casedesk.chat.api import router as chat_router
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.management.commands.serve import (
    LIMIT_REQUEST_FIELD_SIZE,
    LIMIT_REQUEST_FIELDS,
    LIMIT_REQUEST_LINE,
)
from casedesk.core.throttle import TooManyFailures
from casedesk.crm.api import router as crm_router
from casedesk.csat.api import router as csat_router
from casedesk.exporter.api import router as exporter_router
from casedesk.importer.api import router as importer_router
from casedesk.kb.analytics_api import router as kb_analytics_router
from casedesk.kb.api import router as kb_router
from casedesk.kb.attachments_api import router as kb_attachments_router
from casedesk.kb.case_api import router as kb_case_router
from casedesk.mail.api import router as mail_router
from casedesk.portal.api import router as portal_router
from casedesk.privacy.api import router as privacy_router
from casedesk.reports.compliance_api import router as reports_compliance_router
from casedesk.reports.forecast_api import router as reports_forecast_router
from casedesk.reports.scorecard_api import router as reports_scorecard_router
from casedesk.routing.api import router as routing_router
from casedesk.routing.api import rules_router
from casedesk.search.api import router as search_router
from casedesk.sla.api import router as sla_router
from casedesk.slack.api import router as slack_router
from casedesk.tasks.api import router as tasks_router
from casedesk.tenancy.api import router as tenancy_router
from casedesk.tenancy.api_auth import TokenAuth
from casedesk.tenancy.audit_api import router as audit_router

logger = logging.getLogger(__name__)


class CasedeskAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        """The spec, with the answer every authenticated operation may give besides its own:
        429 with Retry-After to a client that presented too many bad tokens lately."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema["paths"].values():
            for operation in item.values():
                responses = operation.get("responses", {})
                unauthorized = responses.get(401) or responses.get("401")
                if not operation.get("security") or unauthorized is None:
                    continue
                responses.setdefault(429, {
                    "description": "Too Many Requests: too many bad tokens from this client "
                                   "lately; try again after Retry-After seconds.",
                    "headers": {"Retry-After": {
                        "description": "Seconds to wait before the next request.",
                        "schema": {"type": "integer", "minimum": 1}}},
                    "content": copy.deepcopy(unauthorized.get("content", {})),
                })
        return schema


api = CasedeskAPI(
    title="casedesk API",
    version="1.0.0",
    description=(
        "Cases, their lifecycle, notes, timeline, queues, routing, SLA policies, business "
        "hours, escalation rules and the breach sweep, and CRM links. "
        "Authenticate with "
        "`Authorization: Bearer <token>` (`casedesk create_token`). Errors are JSON "
        '`{"detail": "..."}`: 401 unauthenticated, 403 forbidden, 404 not found (also for '
        "another tenant's records), 409 a refused transition or a lost race, 413 a body over "
        f"the size limit, 414 a request line (path and query) over {LIMIT_REQUEST_LINE} bytes, "
        "422 invalid input (`field` names the field; every text and number is bounded as this "
        "document says), 429 too many bad tokens from this client lately (wait `Retry-After` "
        f"seconds), 431 more than {LIMIT_REQUEST_FIELDS} headers or one over "
        f"{LIMIT_REQUEST_FIELD_SIZE} bytes, 500 an unexpected failure (logged on the server)."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
)

# The what-if router goes before routing's and sla's: their `/{id}` paths would take
# `/routing/rules/whatif` and `/sla/policies/whatif`.
for router in (cases_router, case_links_router, case_merge_router, note_attachments_router,
               crm_router, crm_cases_router, whatif_router, routing_router, rules_router,
               sla_router,
               sla_cases_router, tenancy_router, people_cases_router, config_router, mail_router,
               kb_router, kb_case_router, kb_analytics_router, kb_attachments_router,
               csat_router, portal_router, automation_rules_router, webhooks_router,
               macros_router, tasks_router, reports_scorecard_router, reports_compliance_router,
               reports_forecast_router, search_router, importer_router, exporter_router,
               privacy_router, audit_router, triage_router, similar_router, calls_router,
               chat_router, slack_router):
    api.add_router("", router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.detail}
    if isinstance(exc, Invalid) and exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status_code)


_SOURCES = ("body", "query", "path", "header", "cookie", "file", "form")


def _location(loc: list[Any]) -> str:
    """The field a validation error is about, as a client names it: ninja's location starts
    with where the value came from (and, for a body, the handler's parameter name), and a
    field may itself be called `body` (a note's, an article's)."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)
    return ".".join(parts)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    messages = []
    first_field = None
    for error in exc.errors:
        where = _location(list(error.get("loc", ())))
        first_field = first_field or where or None
        messages.append(f"{where}: {error.get('msg', 'invalid')}" if where
                        else str(error.get("msg", "invalid")))
    detail = "; ".join(messages) or "Invalid input."
    return api.create_response(request, {"detail": detail, "field": first_field}, status=422)


@api.exception_handler(MultiPartParserError)
def unreadable_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A multipart body Django cannot read (no boundary, cut short): the client's input."""
    return api.create_response(
        request, {"detail": f"The multipart body cannot be read: {exc}.", "field": None},
        status=422)


@api.exception_handler(TooManyFailures)
def too_many_failures(request: HttpRequest, exc: TooManyFailures) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.detail}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(DataError)
def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the database cannot store (too long, out of range) that no check caught. Each
    service writes in one transaction, which has rolled back: nothing changed, and it is the
    client's input, so a 422; logged, because a check is missing."""
    logger.warning("A value reached the database unchecked (%s %s): %s", request.method,
                   request.path, exc)
    what, field = _refused_value(request, str(exc))
    return api.create_response(request, {
        "detail": "A value is too long or out of range for what casedesk stores"
                  f"{': ' + what if what else ''}. Nothing was changed.",
        "field": field}, status=422)


# PostgreSQL's words for a value its column cannot hold. They name the column's type, not
# the column: the field is found, when it can be, among the values the request sent.
_TOO_LONG = re.compile(r"value too long for type character varying\((\d+)\)")
_OUT_OF_RANGE = re.compile(r"\b(smallint|integer|bigint) out of range")
_INTEGER_TYPES = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}


def _refused_value(request: HttpRequest, message: str) -> tuple[str, str | None]:
    """What the database refused, in words, and the field that sent it when exactly one value
    of the request is of that kind (a text longer than the column, a number out of its
    range)."""
    if match := _TOO_LONG.search(message):
        limit = int(match[1])
        field = _only_field(request, lambda v: isinstance(v, str) and len(v) > limit)
        return f"{field or 'a text'} is longer than {limit} characters", field
    if match := _OUT_OF_RANGE.search(message):
        largest = _INTEGER_TYPES[match[1]]
        field = _only_field(request, lambda v: isinstance(v, int) and not isinstance(v, bool)
                            and not -largest - 1 <= v <= largest)
        return (f"{field or 'a whole number'} is outside -{largest + 1} to {largest}",
                field)
    if "numeric field overflow" in message:
        return "a number has more digits than casedesk keeps", None
    return "", None


def _only_field(request: HttpRequest, refused: Callable[[Any], bool]) -> str | None:
    """The one field (`a.b` for a nested one) of the query string and JSON body whose value
    `refused` picks out; None when none or several are."""
    values: list[tuple[str, Any]] = [(name, value) for name, value in request.GET.items()]
    if request.content_type == "application/json":
        # A body that is not JSON (JSONDecodeError is a ValueError) names nothing.
        with contextlib.suppress(ValueError, RecursionError):
            values += [(name, value) for name, value in _leaves(json.loads(request.body))]
    found = {name for name, value in values if refused(value)}
    return found.pop() if len(found) == 1 else None


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
    else:
        yield path, value


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Django's own handling, whatever DEBUG says: it logs the traceback (`django.request`)
    and signals `got_request_exception`; ApiJsonErrorsMiddleware then makes the answer JSON."""
    raise exc


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Authentication required: send Authorization: Bearer <token>."},
        status=401)
    response["WWW-Authenticate"] = 'Bearer realm="casedesk"'
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja's "Cannot parse request body": invalid input, which the API answers with 422.
        return api.create_response(
            request, {"detail": "The request body is not valid JSON.", "field": None},
            status=422)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

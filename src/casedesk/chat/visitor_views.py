"""The visitor's side of live chat: the loader a tenant's site pastes, the widget's frame, and
the JSON endpoints the frame calls (`/chat/<slug>/...`).

- `widget.js` is the one script a site adds (`<script src=".../chat/<slug>/widget.js"
  async>`): it puts a launcher button and an <iframe> of `frame` on the page, nothing else, so
  the site's Content-Security-Policy needs only this origin in `script-src` and `frame-src`.
  With chat switched off it is a script that does nothing.
- `frame` is the widget itself, served with `frame-ancestors 'self' <allowed sites>`: a site
  the tenant did not list cannot show it.
- The endpoints take no cookie and set none (third-party cookies are blocked in frames):
  a chat is read and written with its signed token (`X-Chat-Token` header or `?token=`), so
  they are CSRF-exempt. Errors are JSON `{"detail": ...}` (and `"field"` for bad input) with
  their 4xx status; 429 carries Retry-After. A switched-off chat or an unknown tenant is 404
  for everything that starts something; a chat already going keeps working with its token,
  so nobody is cut off mid-sentence when an admin switches chat off.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from casedesk.chat import presenters, selectors, services, tokens
from casedesk.chat.models import OPEN_STATES, Chat, ChatAttachment, ChatSettings, ChatState
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid, NotFound, PermissionDenied
from casedesk.core.files import file_response
from casedesk.core.redirects import site_base
from casedesk.core.text import is_storable, search_term
from casedesk.core.throttle import client_ip
from casedesk.kb import public_access
from casedesk.kb.models import Article
from casedesk.kb.visitors import is_visitor_key
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.web import PageRequest, member, member_required

TOKEN_HEADER = "X-Chat-Token"
SUGGESTIONS = 5
MIN_QUERY = 3  # characters typed before articles are suggested
# How long "the agent is typing" holds without a fresh signal (the console sends one every
# two seconds while the agent types).
TYPING_FRESH = timedelta(seconds=6)
LOADER_MAX_AGE = 300  # seconds a browser may keep the loader: switching chat off takes hold
_JSON_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_JS = "text/javascript; charset=utf-8"


# --- pure decisions ------------------------------------------------------------------------------


def frame_ancestors(allowed_origins: list[str]) -> list[str]:
    """Who may show the frame: this site, and the sites the tenant listed."""
    return [CSP.SELF, *[o for o in allowed_origins if isinstance(o, str) and o]]


def live_origin(live_url: str) -> str | None:
    """The origin of the live server when it is not this site (for `connect-src`)."""
    parts = urlsplit(live_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def is_typing(typing_at: datetime | None, now: datetime) -> bool:
    """Whether a side's last "typing" signal still holds."""
    return typing_at is not None and now - typing_at < TYPING_FRESH


def js_literal(value: Any) -> str:
    """`value` as JSON that is safe inside a script: no `</script>`, no line separators."""
    return json.dumps(value, separators=(",", ":")).translate(_JSON_ESCAPES)


def visitor_key_of(chat: Chat) -> str:
    """The self-service reader's key for reads made inside a chat: the chat's id (32 hex
    digits, the shape `kb.visitors` makes), so reads and the chat's own case are one
    visitor's."""
    return chat.public_id.hex


# --- answers -----------------------------------------------------------------------------------


def _error(error: DomainError) -> JsonResponse:
    body: dict[str, Any] = {"detail": error.detail}
    field = getattr(error, "field", None)
    if field:
        body["field"] = field
    response = JsonResponse(body, status=error.status_code)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    return response


View = Callable[..., HttpResponseBase]


def endpoint(*methods: str) -> Callable[[View], View]:
    """A visitor endpoint: CSRF-exempt (no cookie authenticates it), the methods it takes,
    refusals as JSON, and a response nobody caches."""

    def wrap(view: View) -> View:
        @csrf_exempt
        @require_http_methods(list(methods))
        @wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                response: HttpResponseBase = view(request, *args, **kwargs)
            except DomainError as error:
                response = _error(error)
            response.setdefault("Cache-Control", "no-store")
            return response

        return run

    return wrap


def _tenant(slug: str) -> Tenant:
    try:
        return public_access.get_tenant(slug)
    except NotFound:
        raise NotFound("There is no chat here.") from None


def _config_of(slug: str) -> tuple[Tenant, ChatSettings]:
    tenant = _tenant(slug)
    return tenant, services.chat_settings(tenant)


def _open_for_visitors(slug: str) -> tuple[Tenant, ChatSettings]:
    """The tenant and its chat settings, when its chat is switched on; NotFound otherwise."""
    tenant, config = _config_of(slug)
    if not config.enabled:
        raise NotFound("Chat is not available here.")
    return tenant, config


def _token(request: HttpRequest) -> str:
    token = request.headers.get(TOKEN_HEADER) or request.GET.get("token") or ""
    return token if is_storable(token) else ""


def _chat(request: HttpRequest, slug: str, public_id: str) -> Chat:
    """The chat the request's token opens: 404 for an unknown tenant or a chat it does not
    have (another tenant's too), 403 for a token that is not this chat's."""
    tenant = _tenant(slug)
    chat = selectors.chat_by_public_id(tenant, public_id)
    token = _token(request)
    if not token:
        raise PermissionDenied("This chat needs its token.")
    if tokens.token_chat_ref(token) != (tenant.pk, str(chat.public_id)):
        raise PermissionDenied("This token is not for this chat.")
    return chat


def _body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object posted (an empty body is an empty object)."""
    try:
        raw = request.body
    except RawPostDataException:
        # A form was posted, and read as one already (the middleware checks its text).
        raise Invalid("The body must be JSON.") from None
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("The body must be JSON.") from None
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.")
    return data


def _text(data: dict[str, Any], field: str, *, required: bool = False, limit: int = 10_000) -> str:
    value = data.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{field.replace('_', ' ').capitalize()} must be text.", field=field)
    if required and not value.strip():
        raise Invalid(f"{field.replace('_', ' ').capitalize()} is required.", field=field)
    if len(value) > limit:
        raise Invalid(
            f"{field.replace('_', ' ').capitalize()} is longer than {limit} characters.",
            field=field,
        )
    return value


def _flag(data: dict[str, Any], field: str) -> bool:
    value = data.get(field)
    if not isinstance(value, bool):
        raise Invalid(f"{field.capitalize()} must be true or false.", field=field)
    return value


def _number(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise Invalid(f"{field.capitalize()} must be a whole number.", field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdecimal():
        number = int(value.strip())
    else:
        raise Invalid(f"{field.capitalize()} must be a whole number.", field=field)
    if not 0 <= number <= 2**31 - 1:
        raise Invalid(f"{field.capitalize()} is out of range.", field=field)
    return number


def _row_id(value: int, what: str) -> int:
    """An id from the path: one past what a database row can have is nobody's."""
    if not 0 < value < 2**63:
        raise NotFound(f"No such {what}.")
    return value


def _live_url() -> str:
    return str(getattr(settings, "CASEDESK_LIVE_URL", "") or "").rstrip("/")


def _agent_name(chat: Chat) -> str:
    return chat.agent.display_name if chat.agent_id and chat.agent else ""


def _chat_json(chat: Chat) -> dict[str, Any]:
    return presenters.chat_json(chat, agent_name=_agent_name(chat))


def _article_json(tenant: Tenant, article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "summary": article.summary,
        "url": reverse("kb:public_article", args=[tenant.slug, article.slug]),
    }


# --- the loader and the frame ---------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def widget_js(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The loader: a launcher button and the frame on the host page, or nothing when chat is
    off (or the tenant unknown: still a script, so the host page logs no error)."""
    try:
        tenant, config = _config_of(tenant_slug)
    except NotFound:
        return HttpResponse(
            "/* casedesk: there is no chat here. */\n", content_type=_JS, status=404
        )
    if not config.enabled:
        response = HttpResponse("/* casedesk: chat is switched off. */\n", content_type=_JS)
    else:
        base = site_base(request)
        loader = {
            "origin": base,
            "frame": base + reverse("chat:visitor_frame", args=[tenant.slug]),
            "name": tenant.name,
            "allowed": [o for o in config.allowed_origins or [] if isinstance(o, str)],
        }
        script = render_to_string("chat/widget_loader.js", {"config": js_literal(loader)})
        response = HttpResponse(script, content_type=_JS)
    response["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
    # Another site's page loads it with a plain <script>: it must be allowed cross-origin.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _framable(response: HttpResponse, config: ChatSettings) -> HttpResponse:
    """Only this site and the tenant's listed sites may show the frame; the frame may reach
    the live server when it runs on another origin."""
    policy: dict[str, Any] = dict(settings.SECURE_CSP)
    policy["frame-ancestors"] = frame_ancestors(list(config.allowed_origins or []))
    live = live_origin(_live_url())
    if live:
        policy["connect-src"] = [*policy.get("connect-src", [CSP.SELF]), live]
    response._csp_config = policy  # type: ignore[attr-defined]
    response.xframe_options_exempt = True
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def widget_frame(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The widget itself, in the host page's <iframe>."""
    try:
        tenant, config = _config_of(tenant_slug)
    except NotFound:
        return render(request, "chat/widget_off.html", {"tenant": None}, status=404)
    if not config.enabled:
        return _framable(
            render(request, "chat/widget_off.html", {"tenant": tenant}, status=404), config
        )
    base = reverse("chat:visitor_config", args=[tenant.slug]).removesuffix("config")
    frame_config = {
        "slug": tenant.slug,
        "base": base,
        "live": _live_url(),
        "greeting": config.greeting,
        "name": tenant.name,
        "bot": config.bot_enabled,
        "max_file_bytes": tenant.attachment_max_bytes,
        "min_query": MIN_QUERY,
    }
    return _framable(
        render(
            request,
            "chat/widget_frame.html",
            {"tenant": tenant, "config": config, "frame_config": frame_config},
        ),
        config,
    )


@member_required
@require_http_methods(["GET", "HEAD"])
def try_page(request: PageRequest, tenant_slug: str) -> HttpResponse:
    """A page of casedesk's own that embeds the widget with the very tag a site pastes, for
    the desk's members to try it (this site may always show the frame)."""
    tenant = member(request).tenant
    if tenant.slug != tenant_slug:
        raise NotFound("There is no chat here.")
    loader = site_base(request) + reverse("chat:visitor_loader", args=[tenant.slug])
    return render(
        request,
        "chat/test_site.html",
        {
            "tenant": tenant,
            "config": services.chat_settings(tenant),
            "snippet": f'<script src="{loader}" async></script>',
        },
    )


# --- before a chat -------------------------------------------------------------------------------


@endpoint("GET", "HEAD")
def config_view(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    tenant, config = _config_of(tenant_slug)
    if not config.enabled:
        return JsonResponse(
            {
                "enabled": False,
                "greeting": "",
                "online": False,
                "bot_enabled": False,
                "live_url": "",
            }
        )
    return JsonResponse(
        {
            "enabled": True,
            "greeting": config.greeting,
            "online": selectors.agents_online(tenant, clock.now()) > 0,
            "bot_enabled": config.bot_enabled,
            "live_url": _live_url(),
        }
    )


@endpoint("GET", "HEAD")
def suggest(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Published public articles for the question typed so far (none under MIN_QUERY
    characters)."""
    tenant, _config = _open_for_visitors(tenant_slug)
    q = search_term(request.GET.get("q"))
    if len(q) < MIN_QUERY or not is_storable(q):
        return JsonResponse({"articles": []})
    found = public_access.search_public(tenant, q, limit=SUGGESTIONS)
    return JsonResponse({"articles": [_article_json(tenant, a) for a in found]})


def _visitor_key(data: dict[str, Any], *, required: bool) -> str:
    """The frame's anonymous key (`kb.visitors`' shape), which ties a visitor's article reads
    to their chat's case in the deflection figures."""
    visitor = data.get("visitor")
    if visitor in (None, "") and not required:
        return ""
    if not isinstance(visitor, str) or not is_visitor_key(visitor):
        raise Invalid("The visitor key must be 32 hexadecimal digits.", field="visitor")
    return visitor


def _reader(request: HttpRequest, data: dict[str, Any], tenant: Tenant) -> str:
    """Who read: the visitor of the chat the token opens (when a chat is named), else the
    frame's visitor key."""
    public_id = data.get("chat_id")
    if isinstance(public_id, str) and public_id:
        chat = _chat(request, tenant.slug, public_id)
        return chat.visitor_key or visitor_key_of(chat)
    return _visitor_key(data, required=True)


@endpoint("POST")
def article_read(request: HttpRequest, tenant_slug: str, article_id: int) -> HttpResponse:
    """A suggested article opened: a self-service read (a deflection if no case follows)."""
    tenant, _config = _open_for_visitors(tenant_slug)
    data = _body(request)
    services.record_article_read(
        tenant=tenant,
        article_id=_row_id(article_id, "article"),
        visitor_key=_reader(request, data, tenant),
        now=clock.now(),
    )
    return HttpResponse(status=204)


@endpoint("POST")
def deflected(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The visitor's "this answered my question" before any chat: a self-service
    deflection is counted, and no chat is started."""
    tenant, _config = _open_for_visitors(tenant_slug)
    data = _body(request)
    services.record_deflection(
        tenant=tenant,
        article_id=_number(data.get("article_id"), "article_id"),
        visitor_key=_reader(request, data, tenant),
        now=clock.now(),
    )
    return JsonResponse(
        {"deflected": True, "detail": "Glad that helped! You can close this window."}
    )


@endpoint("POST")
def start(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    tenant, _config = _open_for_visitors(tenant_slug)
    data = _body(request)
    visitor = services.VisitorStart(
        name=_text(data, "name", limit=200),
        email=_text(data, "email", limit=254),
        message=_text(data, "message", limit=20_000),
        page_url=_text(data, "page_url", limit=2000)[:1000],
        ip=client_ip(request),
        client_id=_text(data, "client_id", limit=64),
        visitor_key=_visitor_key(data, required=False),
    )
    chat = services.chat_start(tenant=tenant, visitor=visitor, now=clock.now())
    return JsonResponse({"chat": _chat_json(chat), "token": tokens.chat_token(chat)}, status=201)


# --- in a chat ---------------------------------------------------------------------------------


@endpoint("GET", "HEAD")
def events(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """The poll: the chat's events after `after`, the chat, and whether the agent types.
    It also moves on the tenant's offers that ran out, so chats are offered on without a
    worker."""
    chat = _chat(request, tenant_slug, public_id)
    after = _number(request.GET.get("after") or "0", "after")
    now = clock.now()
    if chat.state in OPEN_STATES:
        services.visitor_seen(chat=chat, now=now)
    if chat.state == ChatState.WAITING:
        services.offers_expire(now=now, tenant=chat.tenant)
        chat.refresh_from_db()
    found = selectors.events_after(chat, after)
    return JsonResponse(
        {
            "events": [presenters.event_json(e) for e in found],
            "chat": _chat_json(chat),
            "typing": chat.state == ChatState.ACTIVE and is_typing(chat.agent_typing_at, now),
        }
    )


@endpoint("POST")
def message(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """A message from the visitor: JSON `{"body", "client_id"}`, or a form with a `file`.
    Sent again with the same client_id, it is stored once (and answered the same)."""
    chat = _chat(request, tenant_slug, public_id)
    if request.content_type == "multipart/form-data":
        data: dict[str, Any] = {key: request.POST.get(key, "") for key in ("body", "client_id")}
        upload: UploadedFile[bytes] | None = request.FILES.get("file")
    else:
        data, upload = _body(request), None
    body = _text(data, "body", limit=20_000)
    if not body.strip() and upload is None:
        raise Invalid("Write a message or attach a file.", field="body")
    event = services.visitor_message(
        chat=chat,
        body=body,
        now=clock.now(),
        client_id=_text(data, "client_id", limit=64),
        upload=upload,
    )
    return JsonResponse(presenters.event_json(event), status=201)


@endpoint("POST")
def typing(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    chat = _chat(request, tenant_slug, public_id)
    services.typing(
        chat=chat, side="visitor", typing=_flag(_body(request), "typing"), now=clock.now()
    )
    return HttpResponse(status=204)


@endpoint("POST")
def read(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    chat = _chat(request, tenant_slug, public_id)
    seq = _number(_body(request).get("seq"), "seq")
    services.mark_read(chat=chat, side="visitor", seq=seq, now=clock.now())
    return HttpResponse(status=204)


@endpoint("POST")
def answer(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """The visitor's yes or no to the chatbot's article."""
    chat = _chat(request, tenant_slug, public_id)
    chat = services.bot_answer(chat=chat, solved=_flag(_body(request), "solved"), now=clock.now())
    return JsonResponse(_chat_json(chat))


@endpoint("POST")
def end(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    chat = _chat(request, tenant_slug, public_id)
    chat = services.chat_end(chat=chat, by="visitor", now=clock.now())
    return JsonResponse(_chat_json(chat))


@dataclass(frozen=True)
class _Stored:
    """A chat file as `core.files.file_response` serves it."""

    filename: str
    content_type: str
    file: FieldFile


@endpoint("GET", "HEAD")
def attachment(
    request: HttpRequest, tenant_slug: str, public_id: str, attachment_id: int
) -> HttpResponseBase:
    chat = _chat(request, tenant_slug, public_id)
    found = ChatAttachment.objects.filter(
        tenant_id=chat.tenant_id, chat=chat, pk=_row_id(attachment_id, "file in this chat")
    ).first()
    if found is None:
        raise NotFound("No such file in this chat.")
    return file_response(_Stored(found.name, found.content_type, found.file))

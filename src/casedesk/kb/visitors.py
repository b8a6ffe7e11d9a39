"""The anonymous reader of the public pages (and, next, of the portal and the web form): an
opaque random key kept in the cookie `casedesk_visitor`, which the self-service events carry
(`events.record_self_service_read`) so that a read and a later case of the same browser can be
told apart from another's.

The key is 32 hexadecimal characters from `secrets`: it names nobody and proves nothing, so it
is not signed; a cookie of any other shape is ignored and a new key made. Crawlers
(`is_crawler`) and HEAD requests are nobody's reads."""

import re
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

COOKIE = "casedesk_visitor"
MAX_AGE = 365 * 24 * 3600  # one year, in seconds
_KEY = re.compile(r"[0-9a-f]{32}")
# What the common crawlers and link previewers put in their User-Agent (Googlebot, bingbot,
# Yahoo! Slurp, Baiduspider, facebookexternalhit's "preview" kin, Slackbot-LinkExpanding …).
_CRAWLER = re.compile(r"bot|crawl|spider|slurp|preview", re.IGNORECASE)


def is_visitor_key(value: str | None) -> bool:
    """Whether `value` has the shape of a key this module makes."""
    return value is not None and _KEY.fullmatch(value) is not None


def new_visitor_key() -> str:
    return secrets.token_hex(16)


def visitor_key(request: HttpRequest) -> str:
    """The request's visitor key: the cookie's when it is well-formed, else a new one (which
    `remember_visitor` then gives the browser)."""
    value = request.COOKIES.get(COOKIE)
    return value if value is not None and is_visitor_key(value) else new_visitor_key()


def has_visitor_key(request: HttpRequest, key: str) -> bool:
    """Whether the browser already holds `key` (so the response need not set it)."""
    return request.COOKIES.get(COOKIE) == key


def remember_visitor(response: HttpResponseBase, key: str,
                     request: HttpRequest | None = None) -> None:
    """Gives the browser `key` for a year: HttpOnly, SameSite=Lax, and Secure when the
    request came over HTTPS (`request`) or the site runs behind TLS (SESSION_COOKIE_SECURE,
    set by CASEDESK_HTTPS)."""
    if not is_visitor_key(key):
        raise ValueError("Not a visitor key.")
    secure = bool(settings.SESSION_COOKIE_SECURE) or (request is not None
                                                     and request.is_secure())
    response.set_cookie(COOKIE, key, max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=secure)


def is_crawler(request: HttpRequest) -> bool:
    """Whether the User-Agent says a crawler or link previewer sent the request."""
    return _CRAWLER.search(request.headers.get("User-Agent", "")) is not None


def is_reader(request: HttpRequest) -> bool:
    """Whether the request is a person reading the page: not a crawler, not a HEAD."""
    return request.method != "HEAD" and not is_crawler(request)

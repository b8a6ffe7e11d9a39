"""Where a form may send the browser back to: the one check for every redirect target a
request names (`next`, the list's query string in `back`).

A target taken from the request is followed only when it is a path of this site: no scheme,
no other host (`//evil.example`, `/\\evil.example`), https kept when the request came over
https, and no longer than a page address needs. Anything else falls back to the page the view
would show anyway, so a forged link can neither send an agent to another site (an open
redirect, the start of many phishing mails) nor fail with a server error.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect, QueryDict
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from casedesk.core.text import is_storable, one_line

MAX_TARGET = 2000  # a longer "page address" is not one of ours


def safe_target(request: HttpRequest, target: str | None) -> str | None:
    """`target` when it is a path on this site, else None."""
    if not target or len(target) > MAX_TARGET or not is_storable(target):
        return None
    if one_line(target) != target:  # line breaks, tabs, control characters
        return None
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return None
    return target


def redirect_back(request: HttpRequest, target: str | None, fallback: str,
                  *args: object) -> HttpResponseRedirect:
    """To `target` (typically `request.POST.get("next")`) when `safe_target` accepts it, else
    to `fallback`: a URL name (with `args`) or a path of ours. The target is never looked up
    as a URL name, so no value of it can fail the request."""
    safe = safe_target(request, target)
    return HttpResponseRedirect(safe if safe is not None else resolve_url(fallback, *args))


def list_query(raw: str | None) -> str:
    """A list page's query string carried through a form (`back`), re-encoded so that it can
    only ever be a query string: "" when it is too long or unreadable."""
    if not raw or len(raw) > MAX_TARGET or not is_storable(raw):
        return ""
    return QueryDict(raw.removeprefix("?")).urlencode()


def list_redirect(path: str, raw_query: str | None) -> HttpResponseRedirect:
    """To the list page `path` (ours), with the query string the form carried, if any."""
    query = list_query(raw_query)
    return HttpResponseRedirect(f"{path}?{query}" if query else path)


def site_base(request: HttpRequest) -> str:
    """Where links in mail should point: CASEDESK_BASE_URL, else the scheme and host of this
    request (Django checks the host against ALLOWED_HOSTS, so a forged Host header cannot
    point an invitation at another site)."""
    return str(settings.BASE_URL) or f"{request.scheme}://{request.get_host()}"

"""A tenant's chat settings: read (made with their defaults on first use) and changed, with
the checks of every value (the allowed sites as origins a browser names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from casedesk.chat.models import (
    ChatSettings,
)
from casedesk.chat.text import plain
from casedesk.core.errors import Invalid
from casedesk.core.text import check_text
from casedesk.tenancy.models import Tenant, User

MAX_ORIGINS = 20


SETTINGS_FIELDS = {"enabled", "allowed_origins", "bot_enabled", "bot_min_score",
                   "offer_timeout_seconds", "chats_per_agent", "greeting", "offline_message"}


def chat_settings(tenant: Tenant) -> ChatSettings:
    found = ChatSettings.objects.filter(tenant=tenant).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return ChatSettings.objects.create(tenant=tenant)
    except IntegrityError:  # made at the same moment by another request
        return ChatSettings.objects.get(tenant=tenant)


def clean_origin(raw: str) -> str:
    """`scheme://host[:port]` as a browser names an origin, or Invalid. https only, but
    for a site on this machine (localhost, 127.0.0.1), which may be plain http."""
    text = raw.strip().rstrip("/")
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.path or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise Invalid(f"{raw.strip()[:100]!r} is not a site's origin: write it as "
                      "https://www.example.com (scheme and host, an optional port, no path).",
                      field="allowed_origins")
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1", "[::1]", "::1"):
        raise Invalid(f"{text} is not https: the widget is embedded only in https sites "
                      "(or on localhost).", field="allowed_origins")
    try:
        port = parts.port
    except ValueError:
        raise Invalid(f"{text} has a port that is not a number from 1 to 65535.",
                      field="allowed_origins") from None
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def _bounded(value: Any, field: str, low: int, high: int, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{label} must be a whole number from {low} to {high}.", field=field)
    return value


def chat_settings_update(*, tenant: Tenant, actor: User | None, changes: dict[str, Any],
                         now: datetime) -> ChatSettings:
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        raise Invalid(f"Unknown setting: {', '.join(sorted(unknown))}.", field=min(unknown))
    settings = chat_settings(tenant)
    values = dict(changes)
    if "allowed_origins" in values:
        raw = values["allowed_origins"]
        if isinstance(raw, str):
            raw = raw.split()
        if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
            raise Invalid("List the sites as origins, one per line.", field="allowed_origins")
        origins = list(dict.fromkeys(clean_origin(o) for o in raw if o.strip()))
        if len(origins) > MAX_ORIGINS:
            raise Invalid(f"At most {MAX_ORIGINS} sites may embed the widget.",
                          field="allowed_origins")
        values["allowed_origins"] = origins
    for name in ("enabled", "bot_enabled"):
        if name in values and not isinstance(values[name], bool):
            raise Invalid("Give true or false.", field=name)
    if "bot_min_score" in values:
        _bounded(values["bot_min_score"], "bot_min_score", 0, 100, "The chatbot's minimum score")
    if "offer_timeout_seconds" in values:
        _bounded(values["offer_timeout_seconds"], "offer_timeout_seconds", 10, 300,
                 "The offer timeout (seconds)")
    if "chats_per_agent" in values:
        _bounded(values["chats_per_agent"], "chats_per_agent", 1, 20, "Chats per agent")
    for name, limit in (("greeting", 300), ("offline_message", 500)):
        if name in values:
            if not isinstance(values[name], str):
                raise Invalid("Give a text.", field=name)
            text = plain(check_text(values[name], field=name))
            if len(text) > limit:
                raise Invalid(f"At most {limit} characters.", field=name)
            values[name] = text
    with transaction.atomic():
        settings = ChatSettings.objects.select_for_update().get(pk=settings.pk)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.save()
    return settings


# --- events -------------------------------------------------------------------------------------

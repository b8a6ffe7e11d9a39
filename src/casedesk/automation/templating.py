"""The templates rules and macros write with: Django template syntax over the case's own
fields, and nothing else.

A template is written by an admin or an agent and rendered into mail and notes, so it must
not reach past the case: the context holds plain strings only (never a model, whose related
managers would lead to other cases, users or the tenant's secrets), the engine has no
loaders (no `{% include %}` or `{% extends %}` of files), and the tags that read or write
outside the text (`load`, `debug`, `include`, `extends`, `ssi`, `csrf_token`) are refused
when the template is saved.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone

from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority

MAX_TEMPLATE_LENGTH = 20_000
MAX_OUTPUT_LENGTH = 100_000

# Plain text: nothing is HTML-escaped, and a variable that does not exist renders empty.
_ENGINE = Engine(autoescape=False, string_if_invalid="", loaders=[], libraries={},
                 builtins=["django.template.defaulttags", "django.template.defaultfilters"])

_REFUSED_TAGS = ("load", "debug", "include", "extends", "ssi", "csrf_token", "templatetag",
                 "block", "lorem")
_TAG = re.compile(r"{%-?\s*(\w+)")

# What a template may say, as the editor lists it.
VARIABLES: dict[str, str] = {
    "case.number": "the case's number as shown, e.g. CS-1042",
    "case.subject": "the subject",
    "case.description": "the description",
    "case.status": "the status, e.g. Pending customer",
    "case.priority": "the priority, e.g. Urgent",
    "case.type": "the type",
    "case.category": "the category",
    "case.subcategory": "the subcategory",
    "case.source": "where it came from, e.g. email",
    "case.queue": "the queue's name",
    "case.owner": "the owner's name",
    "case.tags": "the tags, comma-separated",
    "case.created_at": "when it was made (the tenant's time zone)",
    "case.url": "the case page's address (for agents)",
    "contact.name": "the contact's name",
    "contact.email": "the contact's email address",
    "account.name": "the account's name",
    "tenant.name": "the desk's name",
}


def check(source: str, *, field: str = "template", label: str = "The template") -> str:
    """The template as stored, or Invalid naming what is wrong: too long, a refused tag, or
    a syntax error."""
    if not isinstance(source, str):
        raise Invalid(f"{label} must be text.", field=field)
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise Invalid(f"{label} is longer than {MAX_TEMPLATE_LENGTH} characters.", field=field)
    for tag in _TAG.findall(source):
        if tag in _REFUSED_TAGS:
            raise Invalid(f"{label} may not use {{% {tag} %}}: templates see the case's own "
                          "fields only.", field=field)
    try:
        _ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        raise Invalid(f"{label} does not compile: {error}", field=field) from None
    return source


def context_of(case: Any, *, base_url: str = "") -> dict[str, dict[str, str]]:
    """The case's own fields as plain strings (the template sees nothing else)."""
    contact = case.contact if case.contact_id is not None else None
    account = case.account if case.account_id is not None else None
    owner = case.owner if case.owner_id is not None else None
    queue = case.queue if case.queue_id is not None else None
    created: datetime = timezone.localtime(case.created_at)
    return {
        "case": {
            "number": case.display_number, "display_number": case.display_number,
            "subject": case.subject, "description": case.description,
            "status": case.get_status_display(),
            "priority": str(Priority(case.priority).label).capitalize(),
            "type": case.type, "category": case.category, "subcategory": case.subcategory,
            "source": case.source, "queue": queue.name if queue is not None else "",
            "owner": owner.display_name if owner is not None else "",
            "tags": ", ".join(case.tags or ()),
            "created_at": created.strftime("%d %b %Y %H:%M %Z"),
            "url": f"{base_url.rstrip('/')}/cases/{case.display_number}" if base_url else
                   f"/cases/{case.display_number}",
        },
        "contact": {"name": contact.name if contact is not None else "",
                    "email": contact.email if contact is not None else ""},
        "account": {"name": account.name if account is not None else ""},
        "tenant": {"name": case.tenant.name},
    }


def render(source: str, case: Any, *, base_url: str = "") -> str:
    """The template filled in for the case (a template that no longer compiles renders
    as written, so a rule never fails silently into an empty mail)."""
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError:
        return source
    return template.render(Context(context_of(case, base_url=base_url),
                                   autoescape=False))[:MAX_OUTPUT_LENGTH]

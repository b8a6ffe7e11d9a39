"""Text from outside — forms, query strings, JSON, mail, the command line — checked once.

PostgreSQL refuses two things Python strings may hold: the NUL character (a text value cannot
contain it) and lone surrogates (halves of a UTF-16 pair, which have no UTF-8 form; a request
declaring an odd charset such as UTF-7 decodes to them). Either one, passed to the database,
is a server error instead of an answer, and a lone surrogate cannot even be written back into
a page. So:

- the services that store text call `check_text` (or `check_json_text`) and refuse such text
  with `Invalid`, which the console shows as a form error and the API as a 422 (the API
  schemas use the same `text_problem`, so console, API, mail and CLI cannot differ);
- the selectors that search go through `filter_search` (or check `is_storable`): a term no
  stored text can contain (it holds NUL or a lone surrogate) matches nothing, so a search
  link never fails;
- a case subject is one line: `one_line` turns line breaks and tabs into single spaces;
- a page request whose parameters decoded to lone surrogates (`not_unicode`) is refused as
  a whole (400) by `core.middleware.UnicodeRequestMiddleware` before a view runs: no page
  could show such text back, not even in an error message. (Django decodes UTF-8 with
  replacement characters; only a charset the request declares itself, e.g.
  `multipart/form-data; charset=utf-7`, or on a GET, gets them in.)
"""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from casedesk.core.errors import Invalid

MAX_JSON_DEPTH = 32
NUL_PROBLEM = "must not contain NUL characters"
UNICODE_PROBLEM = "must be valid Unicode text (it holds a lone surrogate)"


def text_problem(value: str) -> str | None:
    """Why the database cannot store `value` (to follow the field's name), or None."""
    if "\x00" in value:
        return NUL_PROBLEM
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return UNICODE_PROBLEM
    return None


def is_storable(value: str) -> bool:
    return text_problem(value) is None


def check_text(value: str, *, field: str, label: str = "") -> str:
    """`value` unchanged, or Invalid naming `field` (the message never repeats the value: a
    lone surrogate could not be shown)."""
    problem = text_problem(value)
    if problem is not None:
        raise Invalid(f"{label or field.replace('_', ' ').capitalize()} {problem}.",
                      field=field)
    return value


def check_texts(values: dict[str, Any], fields: Iterable[str]) -> None:
    """`check_text` on each of `fields` that `values` holds as a string."""
    for name in fields:
        value = values.get(name)
        if isinstance(value, str):
            check_text(value, field=name)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, str):
                    check_text(item, field=name)


def json_text_problem(value: Any) -> str | None:
    """Why a JSON value cannot be stored: a string (key or value) the database refuses, or
    nesting deeper than MAX_JSON_DEPTH (walked iteratively, so a deeply nested value cannot
    exhaust the stack); None when it can."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return f"must not nest deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                return problem
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    return problem
                pending.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            pending.extend((child, depth + 1) for child in item)
    return None


def check_json_text(value: Any, *, field: str, label: str = "") -> Any:
    """`value` unchanged, or Invalid naming `field`."""
    problem = json_text_problem(value)
    if problem is not None:
        raise Invalid(f"{label or field.replace('_', ' ').capitalize()} {problem}.",
                      field=field)
    return value


# Line breaks (CR, LF, the Unicode line and paragraph separators), tabs and the other control
# characters: none belongs in a one-line value such as a subject (a mail header line). NUL is
# not among them: it is refused (`check_text`), never quietly turned into a space.
_BREAK = "\x01-\x1f\x7f-\x9f\u2028\u2029"
_BREAKS = re.compile(f"[ {_BREAK}]*[{_BREAK}][ {_BREAK}]*")


def one_line(value: str) -> str:
    """`value` as one line: each run of line breaks, tabs and control characters (with the
    spaces around it) becomes one space, and the ends are stripped; other spacing is kept.
    Pasted text keeps its words: "Printer\r\n  on fire" becomes "Printer on fire"."""
    return _BREAKS.sub(" ", value).strip()


def search_term(value: str | None, *, max_length: int = 200) -> str:
    """A search term as typed: stripped and cut to `max_length` ("" for none)."""
    return (value or "").strip()[:max_length]


def filter_search[QS: QuerySet[Any]](qs: QS, value: str | None, fields: Sequence[str], *,
                                     max_length: int = 200) -> QS:
    """The rows of `qs` where one of `fields` contains the term (ignoring case); all of them
    for an empty term. A term that holds what no stored text can (NUL, a lone surrogate)
    matches nothing, which is the truth, instead of reaching the database as an error."""
    term = search_term(value, max_length=max_length)
    if not term:
        return qs
    if not is_storable(term):
        return qs.none()
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": term})
    return qs.filter(condition)


def not_unicode(request: HttpRequest) -> bool:
    """Whether the request's query parameters or form fields (names, values, file names) hold
    text that is not valid Unicode: lone surrogates, from a charset the request declared."""
    sources: list[Iterable[str]] = [_texts(request.GET.lists())]
    if request.method == "POST":
        sources.append(_texts(request.POST.lists()))
        sources.append(upload.name or "" for _, uploads in request.FILES.lists()
                       for upload in uploads)
        sources.append(request.FILES.keys())
    for texts in sources:
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


NOT_UNICODE = ("The request holds text that is not valid Unicode (a lone surrogate). "
               "Send form data and query strings as UTF-8.")


def _texts(lists: Iterable[tuple[str, list[Any]]]) -> Iterable[str]:
    for key, values in lists:
        yield key
        yield from (v for v in values if isinstance(v, str))

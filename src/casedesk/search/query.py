"""The search box's language, parsed without a database: words, quoted phrases, `-word`
exclusions and field operators.

    printer "paper jam" -toner status:open owner:me queue:"Second line" type:bug
    from:jo@example.com #1042 CS-1042 number:1042

- `status:` takes a status (`new`, `open`, `in_progress`, `pending_customer`, `resolved`,
  `closed`, also written with a dash or a space-free alias such as `pending`) or a group of
  them: `unresolved` (new to pending_customer) and `done` (resolved, closed); several values
  with commas (`status:new,open`).
- `owner:` takes `me`, `none` (unassigned) or an email address; `queue:` a queue's name or
  `none`; `type:` a case type; `from:` an email address (who wrote: a note's author, a mail's
  sender, the case's contact).
- `#1042`, `CS-1042` (the tenant's prefix) and `number:1042` jump to the case; a bare number
  is a word that may also be a case number.
- An operator the language does not know (`foo:bar`, `http://x`) is plain words. A bad value
  of a known one (`status:maybe`, `owner:nobody`) is refused with `QueryError`, which the API
  answers 422 and the page shows as a form error.

What reaches the engines is only words (runs of letters, digits and the marks inside email
addresses), never the engines' own syntax, so `&|!():*'"\\` are separators and nothing else.
"""

import re
from dataclasses import dataclass, field

from casedesk.cases.lifecycle import DONE_STATUSES, OPEN_STATUSES, Status
from casedesk.core.errors import Invalid

MAX_QUERY_CHARS = 500
MAX_TERMS = 16  # words, phrases and exclusions together; more are left out
MAX_TERM_CHARS = 64
MAX_VALUES = 10  # values of one operator
MAX_NUMBER = 10**15

STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "unresolved": tuple(s.value for s in OPEN_STATUSES),
    "done": tuple(s.value for s in DONE_STATUSES),
}
STATUS_ALIASES = {"pending": Status.PENDING_CUSTOMER.value, "solved": Status.RESOLVED.value}
OPERATORS = ("status", "owner", "queue", "type", "from", "number")

# A term: letters and digits, with the dots, @, +, _ and dashes inside an email address or a
# dotted version kept (the engines split them the same way the stored text was split).
_TERM = re.compile(r"\w+(?:[.@+'\-]\w+)*")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}$")
# A token: -? then key:"quoted value", "a phrase" (an unclosed quote runs to the end), or a
# run of non-space characters.
_TOKEN = re.compile(r'(-?)(?:(\w+):"([^"]*)"?|"([^"]*)"?|(\S+))')
_HASH_NUMBER = re.compile(r"^#(\d{1,15})$")
_PREFIXED_NUMBER = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,9})-(\d{1,15})$")
_DIGITS = re.compile(r"^\d{1,15}$")


class QueryError(Invalid):
    """A known operator with a value it cannot take."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="q")


@dataclass(frozen=True)
class ParsedQuery:
    """What a search asks for. Terms are lower case; every tuple is bounded."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()  # each the words of one quoted phrase
    excluded: tuple[tuple[str, ...], ...] = ()  # each one word or one phrase's words
    statuses: frozenset[str] = frozenset()
    owners: tuple[str, ...] = ()  # "me", "none" or email addresses
    queues: tuple[str, ...] = ()  # names (lower case) or "none"
    types: tuple[str, ...] = ()  # lower case
    senders: tuple[str, ...] = ()  # email addresses, lower case
    number: int | None = None  # asked for explicitly: #1042, CS-1042, number:1042
    maybe_number: int | None = None  # a bare number among the words
    operators: tuple[tuple[str, str], ...] = field(default=())  # (key, value) as written

    @property
    def has_text(self) -> bool:
        """Words or phrases to match (exclusions alone match nothing)."""
        return bool(self.words or self.phrases)

    @property
    def has_filters(self) -> bool:
        return bool(self.statuses or self.owners or self.queues or self.types or self.senders)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.has_filters or self.number is not None)

    def highlight_terms(self) -> tuple[str, ...]:
        """The words a snippet marks: every word and every phrase's words."""
        seen = dict.fromkeys([*self.words, *(w for phrase in self.phrases for w in phrase)])
        return tuple(seen)


def terms_of(text: str) -> tuple[str, ...]:
    """The terms of free text, lower case and clipped."""
    return tuple(term[:MAX_TERM_CHARS] for term in _TERM.findall(text.lower()))


def parse_query(text: str, *, prefix: str = "") -> ParsedQuery:
    """Parses the search box's text (see the module's docstring). `prefix` is the tenant's
    case prefix (`CS`): `CS-1042` is a jump only with it. Raises QueryError for a bad value
    of a known operator."""
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    values: dict[str, list[str]] = {key: [] for key in OPERATORS}
    operators: list[tuple[str, str]] = []
    number: int | None = None
    maybe_number: int | None = None
    budget = MAX_TERMS

    def add_terms(found: tuple[str, ...], *, negative: bool, phrase: bool) -> None:
        nonlocal budget
        if not found or budget <= 0:
            return
        budget -= 1
        if negative:
            excluded.append(found)
        elif phrase and len(found) > 1:
            phrases.append(found)
        else:
            words.extend(found[:budget + 1])

    for match in _TOKEN.finditer(text[:MAX_QUERY_CHARS]):
        negative, key, quoted_value, phrase, bare = match.groups()
        is_negative = bool(negative)
        if key is None and bare is not None and ":" in bare and not is_negative:
            head, _, rest = bare.partition(":")
            if head.lower() in OPERATORS:
                key, quoted_value = head, rest
        if key is not None and key.lower() in OPERATORS and not is_negative:
            name, value = key.lower(), (quoted_value or "").strip()
            if not value:
                raise QueryError(f"“{name}:” needs a value.")
            operators.append((name, value))
            if name == "number":
                number = _number(value)
            else:
                values[name].extend(_split(value) if name != "queue" else [value])
            continue
        if key is not None:  # an unknown key with a quoted value: its words
            add_terms(terms_of(f"{key} {quoted_value or ''}"), negative=is_negative,
                      phrase=False)
            continue
        if phrase is not None:
            add_terms(terms_of(phrase), negative=is_negative, phrase=True)
            continue
        token = bare or ""
        if not is_negative:
            jump = _jump(token, prefix)
            if jump is not None:
                number = jump
                continue
            if _DIGITS.match(token) and maybe_number is None:
                maybe_number = int(token)
        found = terms_of(token)
        if is_negative:
            add_terms(found, negative=True, phrase=len(found) > 1)
        else:
            for term in found:
                add_terms((term,), negative=False, phrase=False)
    return ParsedQuery(
        words=tuple(dict.fromkeys(words)),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        statuses=_statuses(values["status"]),
        owners=tuple(_owner(v) for v in values["owner"][:MAX_VALUES]),
        queues=tuple(v.lower()[:100] for v in values["queue"][:MAX_VALUES]),
        types=tuple(v.lower()[:80] for v in values["type"][:MAX_VALUES]),
        senders=tuple(_email(v, "from") for v in values["from"][:MAX_VALUES]),
        number=number,
        maybe_number=maybe_number,
        operators=tuple(operators),
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _number(value: str) -> int:
    text = value.lstrip("#")
    if "-" in text:
        text = text.rsplit("-", 1)[1]
    if not _DIGITS.match(text):
        raise QueryError("“number:” takes a case number, e.g. number:1042.")
    return int(text)


def _jump(token: str, prefix: str) -> int | None:
    hashed = _HASH_NUMBER.match(token)
    if hashed:
        return int(hashed.group(1))
    prefixed = _PREFIXED_NUMBER.match(token)
    if prefixed and prefix and prefixed.group(1).upper() == prefix.upper():
        return int(prefixed.group(2))
    return None


def _statuses(given: list[str]) -> frozenset[str]:
    found: set[str] = set()
    for raw in given[:MAX_VALUES]:
        value = raw.lower().replace("-", "_").replace(" ", "_")
        value = STATUS_ALIASES.get(value, value)
        if value in STATUS_GROUPS:
            found.update(STATUS_GROUPS[value])
        elif value in {s.value for s in Status}:
            found.add(value)
        else:
            known = ", ".join([*(s.value for s in Status), *STATUS_GROUPS])
            raise QueryError(f"“status:{raw[:40]}” is not a status; use one of {known}.")
    return frozenset(found)


def _owner(value: str) -> str:
    lowered = value.lower()
    if lowered in ("me", "none"):
        return lowered
    return _email(value, "owner", extra="me, none or ")


def _email(value: str, name: str, *, extra: str = "") -> str:
    if not _EMAIL.match(value) or len(value) > 254:
        raise QueryError(f"“{name}:” takes {extra}an email address, e.g. {name}:jo@example.com.")
    return value.lower()

"""What a logged call may hold, and how it reads: pure decisions, no queries, time passed in.

`check_call` is the one check of a call's fields (the API, the case page's panel and the
new-case page all reach it through the services); its refusals name the field as `CallInput`
does, so a form or an API client can show them next to what was typed."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from casedesk.calls.models import MAX_DURATION_SECONDS, Direction, Outcome
from casedesk.core.errors import Invalid
from casedesk.core.text import check_text

# The names a refusal of a call's fields carries (`Invalid.field`).
CALL_FIELDS = ("direction", "number", "duration_seconds", "outcome", "notes", "started_at")
NOTES_MAX = 10_000
NUMBER_MIN_LENGTH, NUMBER_MAX_LENGTH = 3, 32
# The shortest numbers people dial (emergency and service codes) have three digits.
NUMBER_MIN_DIGITS = 3
# Clocks of the agent's machine and the server's differ a little; a call "now" typed on a
# clock ahead of ours is not in the future.
FUTURE_SKEW = timedelta(minutes=1)
# Before this a date is a typing mistake, and far-off years cannot be shown in every zone.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"\+?[0-9 ().\-]+")


@dataclass(frozen=True)
class CallInput:
    """A call as an agent or a client describes it (unchecked)."""

    direction: str
    number: str
    duration_seconds: int = 0
    outcome: str = Outcome.ANSWERED
    notes: str = ""
    started_at: datetime | None = None  # None: the call is happening, or just happened, now


@dataclass(frozen=True)
class CheckedCall:
    """A call's fields as they are stored."""

    direction: Direction
    number: str
    duration_seconds: int
    outcome: Outcome
    notes: str
    started_at: datetime


def check_number(value: str) -> str:
    """The number as typed, trimmed: digits with an optional leading `+`, and the spaces,
    dashes, dots and parentheses people write between them; 3 to 32 characters, at least
    three of them digits. Invalid (field `number`) otherwise."""
    check_text(value, field="number", label="The number")
    number = value.strip()
    if not number:
        raise Invalid("The phone number is required.", field="number")
    if not NUMBER_MIN_LENGTH <= len(number) <= NUMBER_MAX_LENGTH:
        raise Invalid(
            f"The phone number must be {NUMBER_MIN_LENGTH} to {NUMBER_MAX_LENGTH} characters long.",
            field="number",
        )
    if _NUMBER.fullmatch(number) is None or sum(c.isdigit() for c in number) < NUMBER_MIN_DIGITS:
        raise Invalid(
            "The phone number may hold only digits (at least three), a leading +, "
            "spaces, dashes, dots and parentheses.",
            field="number",
        )
    return number


def _choice[C: (Direction, Outcome)](kind: type[C], value: str, field: str) -> C:
    if isinstance(value, str) and value in kind.values:
        return kind(value)
    raise Invalid(f"The {field} must be one of: {', '.join(kind.values)}.", field=field)


def _started_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(
            "The start time needs a time zone offset (e.g. Z or +01:00).", field="started_at"
        )
    try:
        value.astimezone(UTC)  # the database keeps it in UTC
    except OverflowError:
        raise Invalid("The start time is out of range.", field="started_at") from None
    if value < EARLIEST:
        raise Invalid("The start time is too far in the past.", field="started_at")
    if value > now + FUTURE_SKEW:
        raise Invalid("The call cannot start in the future.", field="started_at")
    return value


def check_call(data: CallInput, now: datetime) -> CheckedCall:
    """The call's fields as stored, or Invalid naming the first field that is wrong."""
    direction = _choice(Direction, data.direction, "direction")
    number = check_number(data.number)
    duration = data.duration_seconds
    if (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or not 0 <= duration <= MAX_DURATION_SECONDS
    ):
        raise Invalid(
            f"The duration must be 0 to {MAX_DURATION_SECONDS} seconds (one day).",
            field="duration_seconds",
        )
    outcome = _choice(Outcome, data.outcome, "outcome")
    notes = check_text(data.notes, field="notes", label="The notes").strip()
    if len(notes) > NOTES_MAX:
        raise Invalid(f"The notes are longer than {NOTES_MAX} characters.", field="notes")
    return CheckedCall(
        direction=direction,
        number=number,
        duration_seconds=duration,
        outcome=outcome,
        notes=notes,
        started_at=_started_at(data.started_at, now),
    )


def is_same_call(asked: CheckedCall, stored: CheckedCall, *, started_given: bool) -> bool:
    """Whether a repeated request (the same idempotency key) asked for the call it made the
    first time; a start time left to "now" matches whenever the first one started."""
    return (asked.direction, asked.number, asked.duration_seconds, asked.outcome, asked.notes) == (
        stored.direction,
        stored.number,
        stored.duration_seconds,
        stored.outcome,
        stored.notes,
    ) and (not started_given or asked.started_at == stored.started_at)


def duration_text(seconds: int) -> str:
    """`5 min 12 s`, `1 h 5 min`, `45 s`; `0 s` for nothing."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value} {unit}" for value, unit in ((hours, "h"), (minutes, "min"), (secs, "s")) if value
    ]
    return " ".join(parts) or "0 s"


def outcome_text(outcome: str) -> str:
    """How an outcome reads in a sentence: `no answer`."""
    return Outcome(outcome).label.lower()


def call_summary(direction: str, number: str, duration_seconds: int, outcome: str) -> str:
    """The timeline's sentence: "Inbound call from +44 20 7946 0958, 5 min 12 s, answered."
    (a call that lasted nothing shows no duration)."""
    way = "from" if direction == Direction.INBOUND else "to"
    parts = [f"{Direction(direction).label} call {way} {number}"]
    if duration_seconds:
        parts.append(duration_text(duration_seconds))
    parts.append(outcome_text(outcome))
    return ", ".join(parts) + "."

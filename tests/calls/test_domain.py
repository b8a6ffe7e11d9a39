"""The pure decisions about a call: which numbers pass, what each field may hold, when a call
may have started, and how it reads on the timeline. No database."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from casedesk.calls.domain import (
    CALL_FIELDS,
    CallInput,
    call_summary,
    check_call,
    check_number,
    duration_text,
    is_same_call,
)
from casedesk.core.errors import Invalid

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def call(**fields):
    fields.setdefault("direction", "inbound")
    fields.setdefault("number", "+44 20 7946 0958")
    return CallInput(**fields)


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("  (555) 010-0199 ", "(555) 010-0199"),
        ("030.1234.5678", "030.1234.5678"),
        ("112", "112"),
        ("+" + "1" * 31, "+" + "1" * 31),
    ],
)
def test_numbers_people_write_are_kept_as_typed_but_trimmed(typed, kept):
    assert check_number(typed) == kept


@pytest.mark.parametrize(
    "typed, words",
    [
        ("", "required"),
        ("   ", "required"),
        ("12", "3 to 32"),
        ("1" * 33, "3 to 32"),
        ("44+ 20", "only digits"),
        ("++4420", "only digits"),
        ("call me", "only digits"),
        ("1--", "only digits"),
        ("(-)", "only digits"),
        ("٣٣٣٣", "only digits"),  # digits of another script are not dialled
        ("020\x007946", "NUL"),
    ],
)
def test_other_numbers_are_refused_on_the_number(typed, words):
    with pytest.raises(Invalid) as refused:
        check_number(typed)
    assert refused.value.field == "number"
    assert words.lower() in refused.value.detail.lower()


def test_a_checked_call_has_its_defaults():
    checked = check_call(call(), NOW)
    assert (
        checked.direction,
        checked.number,
        checked.duration_seconds,
        checked.outcome,
        checked.notes,
        checked.started_at,
    ) == ("inbound", "+44 20 7946 0958", 0, "answered", "", NOW)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"direction": "sideways"}, "direction"),
        ({"direction": ""}, "direction"),
        ({"outcome": "hung_up"}, "outcome"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": 86_401}, "duration_seconds"),
        ({"duration_seconds": True}, "duration_seconds"),
        ({"notes": "x" * 10_001}, "notes"),
        ({"notes": "bad \ud800 text"}, "notes"),
        ({"started_at": datetime(2026, 11, 23, 9, 0)}, "started_at"),  # noqa: DTZ001 - no zone
        ({"started_at": NOW + timedelta(minutes=2)}, "started_at"),
        ({"started_at": datetime(1999, 12, 31, tzinfo=UTC)}, "started_at"),
        ({"started_at": datetime.max.replace(tzinfo=timezone(timedelta(hours=-14)))}, "started_at"),
    ],
)
def test_each_bad_field_is_refused_by_name(fields, field):
    assert field in CALL_FIELDS
    with pytest.raises(Invalid) as refused:
        check_call(call(**fields), NOW)
    assert refused.value.field == field


def test_the_limits_themselves_pass_and_notes_are_trimmed():
    checked = check_call(
        call(
            duration_seconds=86_400,
            notes="  Wants a refund.\n ",
            started_at=NOW + timedelta(seconds=59),
            outcome="voicemail",
            direction="outbound",
        ),
        NOW,
    )
    assert (checked.duration_seconds, checked.notes, checked.outcome, checked.direction) == (
        86_400,
        "Wants a refund.",
        "voicemail",
        "outbound",
    )
    assert checked.started_at == NOW + timedelta(seconds=59)  # a minute of clock skew


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "0 s"),
        (45, "45 s"),
        (60, "1 min"),
        (312, "5 min 12 s"),
        (3600, "1 h"),
        (3725, "1 h 2 min 5 s"),
        (86_400, "24 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(seconds) == text


def test_the_timeline_sentence():
    assert call_summary("inbound", "+44 20 7946 0958", 312, "answered") == (
        "Inbound call from +44 20 7946 0958, 5 min 12 s, answered."
    )
    assert call_summary("outbound", "555 0100", 0, "no_answer") == (
        "Outbound call to 555 0100, no answer."
    )


def test_a_repeated_request_is_the_same_call_only_with_the_same_fields():
    first = check_call(call(notes="Refund"), NOW)
    later = NOW + timedelta(seconds=5)
    assert is_same_call(check_call(call(notes="Refund"), later), first, started_given=False)
    assert not is_same_call(check_call(call(notes="Other"), later), first, started_given=False)
    assert not is_same_call(check_call(call(notes="Refund"), later), first, started_given=True)

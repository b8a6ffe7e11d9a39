"""The pure decisions of erasure and retention: what is struck out, and the cut-off."""

from datetime import UTC, datetime

from casedesk.privacy.redaction import (
    ERASED,
    Terms,
    erased_email,
    is_erased_email,
    months_before,
    redact_bytes,
    redact_json,
    redact_text,
)

TERMS = Terms.of(email="Jo.Doe@Example.com", name="Jo  Doe", phone="+49 30 1234567",
                 texts=["My printer is on fire since Monday.", "ok"])


def test_terms_are_normalised_and_short_texts_dropped() -> None:
    assert TERMS.email == "jo.doe@example.com" and TERMS.name == "Jo Doe"
    assert TERMS.texts == ("My printer is on fire since Monday.",)
    assert Terms.of(email="a@b.c", name="J", phone="112").needles(with_name=True) == ["a@b.c"]


def test_the_email_goes_anywhere_in_any_case() -> None:
    assert redact_text("Mail JO.DOE@example.COM today", TERMS) == f"Mail {ERASED} today"
    assert redact_text("<jo.doe@example.com>", TERMS, with_name=False) == f"<{ERASED}>"


def test_names_and_phones_go_as_whole_words_only() -> None:
    assert redact_text("Hello jo doe, call +49 30 1234567.", TERMS) == \
        f"Hello {ERASED}, call {ERASED}."
    assert redact_text("Jo Doerte and Jo Doe-x", TERMS) == f"Jo Doerte and {ERASED}-x"
    assert redact_text("Hello Jo Doe", TERMS, with_name=False) == "Hello Jo Doe"


def test_texts_they_wrote_go_where_copied_whole() -> None:
    assert redact_text("Quote: My printer is on fire since Monday. End", TERMS) == \
        f"Quote: {ERASED} End"


def test_json_strings_and_keys_are_redacted_other_values_kept() -> None:
    value = {"contact": {"name": "Jo Doe", "email": "jo.doe@example.com"}, "n": 3,
             "jo.doe@example.com": True, "tags": ["Jo Doe", None]}
    assert redact_json(value, TERMS) == {"contact": {"name": ERASED, "email": ERASED},
                                         "n": 3, ERASED: True, "tags": [ERASED, None]}


def test_raw_mail_loses_plain_text_mentions() -> None:
    raw = b"From: Jo Doe <JO.DOE@example.com>\r\nSubject: hi\r\n\r\nbody"
    assert redact_bytes(raw, TERMS) == b"From: [erased] <[erased]>\r\nSubject: hi\r\n\r\nbody"


def test_an_erased_address_is_recognised() -> None:
    assert erased_email(42) == "erased-42@erased.invalid"
    assert is_erased_email("Erased-42@ERASED.invalid") and not is_erased_email("a@b.c")


def test_months_before_keeps_the_moment_and_clamps_the_day() -> None:
    now = datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
    assert months_before(now, 1) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert months_before(now, 12) == datetime(2025, 3, 31, 9, 30, tzinfo=UTC)
    assert months_before(now, 15) == datetime(2024, 12, 31, 9, 30, tzinfo=UTC)
    assert months_before(datetime(2024, 5, 29, tzinfo=UTC), 3) == \
        datetime(2024, 2, 29, tzinfo=UTC)

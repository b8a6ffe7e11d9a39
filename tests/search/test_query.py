"""The search box's language (search/query.py), without a database."""

import pytest

from casedesk.search.query import MAX_TERMS, QueryError, parse_query, terms_of


def test_words_are_lower_case_and_deduplicated() -> None:
    parsed = parse_query("Printer PRINTER jam")
    assert parsed.words == ("printer", "jam")
    assert parsed.has_text and not parsed.has_filters


def test_quoted_phrase_and_unclosed_quote() -> None:
    parsed = parse_query('"paper jam" tray "second page')
    assert parsed.phrases == (("paper", "jam"), ("second", "page"))
    assert parsed.words == ("tray",)


def test_exclusion_of_a_word_and_a_phrase() -> None:
    parsed = parse_query('printer -toner -"out of ink"')
    assert parsed.words == ("printer",)
    assert parsed.excluded == (("toner",), ("out", "of", "ink"))


@pytest.mark.parametrize(("text", "statuses"), [
    ("status:open", {"open"}),
    ("status:Pending", {"pending_customer"}),
    ("status:in-progress", {"in_progress"}),
    ("status:new,open", {"new", "open"}),
    ("status:unresolved", {"new", "open", "in_progress", "pending_customer"}),
    ("status:done", {"resolved", "closed"}),
])
def test_status_values_and_groups(text: str, statuses: set[str]) -> None:
    assert parse_query(text).statuses == statuses


def test_owner_queue_type_from() -> None:
    parsed = parse_query('owner:me owner:Jo@Example.com queue:"Second line" type:Bug '
                         "from:ann@example.org")
    assert parsed.owners == ("me", "jo@example.com")
    assert parsed.queues == ("second line",)
    assert parsed.types == ("bug",)
    assert parsed.senders == ("ann@example.org",)
    assert not parsed.has_text and parsed.has_filters


@pytest.mark.parametrize(("text", "number"), [
    ("#1042", 1042), ("CS-1042", 1042), ("cs-1042", 1042), ("number:1042", 1042),
    ("number:CS-7", 7)])
def test_case_number_jumps(text: str, number: int) -> None:
    parsed = parse_query(text, prefix="CS")
    assert parsed.number == number
    assert not parsed.has_text


def test_another_prefix_is_words_and_a_bare_number_maybe_a_case() -> None:
    parsed = parse_query("XY-12 1042", prefix="CS")
    assert parsed.number is None
    assert parsed.maybe_number == 1042
    assert parsed.words == ("xy-12", "1042")


def test_unknown_operators_are_words() -> None:
    parsed = parse_query('foo:bar http://example.com/x color:"dark red"')
    assert parsed.words == ("foo", "bar", "http", "example.com", "x", "color", "dark", "red")
    assert parsed.operators == ()


@pytest.mark.parametrize("text", [
    "status:maybe", "owner:nobody", "from:not-an-address", "number:abc", "status:",
    'queue:""'])
def test_bad_operator_values_are_refused(text: str) -> None:
    with pytest.raises(QueryError) as refused:
        parse_query(text)
    assert refused.value.status_code == 422
    assert refused.value.field == "q"


@pytest.mark.parametrize("text", [
    "&|!():*'\"\\", "a & b | !c", "'; DROP TABLE cases_case; --", "\x00", "x\x00y",
    "NEAR(a b)", "title:* OR *", "-", '"', "((((", "\\\\"])
def test_engine_syntax_is_only_separators(text: str) -> None:
    parsed = parse_query(text)
    for word in parsed.words:
        assert all(ch.isalnum() or ch in "._@+'-" for ch in word), word


def test_long_query_is_bounded() -> None:
    parsed = parse_query(" ".join(f"w{k}" for k in range(1000)) + " " + "x" * 10_000)
    assert len(parsed.words) <= MAX_TERMS
    assert all(len(w) <= 64 for w in parsed.words)


def test_terms_keep_email_addresses_whole() -> None:
    assert terms_of("Mail jo@example.com now") == ("mail", "jo@example.com", "now")


def test_highlight_terms_take_phrases_words() -> None:
    assert parse_query('jam "paper tray"').highlight_terms() == ("jam", "paper", "tray")

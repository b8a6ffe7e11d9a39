"""Snippets: escaped first, then marked (search/snippets.py)."""

from casedesk.search.snippets import snippet


def test_marks_whole_words_case_insensitively() -> None:
    html = snippet("The Printer jams; pyjamas are fine.", ["printer", "jams"])
    assert str(html) == "The <mark>Printer</mark> <mark>jams</mark>; pyjamas are fine."


def test_escapes_what_it_shows() -> None:
    html = str(snippet('<script>alert("x")</script> printer & <b>bold</b>', ["printer"]))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert "<mark>printer</mark>" in html


def test_a_term_never_marks_inside_an_entity() -> None:
    assert str(snippet("fish & chips", ["amp"])) == "fish &amp; chips"


def test_window_around_a_late_match_with_ellipses() -> None:
    text = "word " * 200 + "needle " + "tail " * 200
    html = str(snippet(text, ["needle"], width=100))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>needle</mark>" in html
    assert len(html) < 160


def test_no_match_shows_the_start() -> None:
    assert str(snippet("Just   some\n\ntext", ["absent"])) == "Just some text"

"""How exported rows are written: no database."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from casedesk.exporter.rows import (
    BOM,
    check_format,
    csv_cell,
    encoded,
    json_value,
    render,
)


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\")", "+1+2", "-2+3", "@SUM(A1)",
                                  "\tTab", "\rCR"])
def test_formula_like_text_gets_an_apostrophe(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value, cell", [
    (None, ""), (True, "true"), (False, "false"), (3, "3"), (Decimal("12.50"), "12.50"),
    ("plain", "plain"), (["vip", "billing"], "vip, billing"), (["=x"], "'=x"),
    (date(2026, 11, 2), "2026-11-02"),
    (datetime(2026, 11, 2, 10, 30, tzinfo=ZoneInfo("Europe/Berlin")), "2026-11-02T09:30:00Z"),
    ({"b": 1, "a": "x"}, '{"a": "x", "b": 1}'),
])
def test_cells(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_numbers_are_never_prefixed() -> None:
    assert csv_cell(-5) == "-5"


def test_csv_has_a_bom_a_header_and_quotes_what_needs_it() -> None:
    data = b"".join(render("csv", ["number", "subject"], [
        ["CS-1", 'Says "hi", then\nleaves'], ["CS-2", "=1+1"]])).decode("utf-8")
    assert data.startswith(BOM)
    rows = list(csv.reader(io.StringIO(data.removeprefix(BOM))))
    assert rows == [["number", "subject"], ["CS-1", 'Says "hi", then\nleaves'],
                    ["CS-2", "'=1+1"]]
    assert data.endswith("\r\n")


def test_jsonl_is_one_object_per_line_with_values_untouched() -> None:
    moment = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    data = b"".join(render("jsonl", ["number", "subject", "tags", "at"], [
        ["CS-1", "=1+1", ["a"], moment], ["CS-2", "Grüße", [], None]])).decode("utf-8")
    lines = data.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"number": "CS-1", "subject": "=1+1", "tags": ["a"], "at": "2026-11-23T09:00:00Z"},
        {"number": "CS-2", "subject": "Grüße", "tags": [], "at": None}]
    assert not data.startswith(BOM)


def test_pieces_are_gathered_up_to_the_size_and_split_only_between_lines() -> None:
    lines = [f"line {i}\n" for i in range(1000)]
    pieces = list(encoded(iter(lines), piece_bytes=100))
    assert all(piece.endswith(b"\n") for piece in pieces)
    assert all(len(piece) < 100 + 20 for piece in pieces)
    assert b"".join(pieces).decode() == "".join(lines)


def test_json_values() -> None:
    assert json_value({"d": Decimal("1.5"), "l": (date(2026, 1, 2),),
                       "w": timedelta(hours=6), "n": None}) == {
        "d": "1.5", "l": ["2026-01-02"], "w": 21600.0, "n": None}


def test_unknown_format_is_refused() -> None:
    assert check_format("jsonl") == "jsonl"
    with pytest.raises(ValueError, match="csv, jsonl"):
        check_format("xlsx")

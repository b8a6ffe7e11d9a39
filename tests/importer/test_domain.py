"""The importer's pure parts: reading times and files, the mapping's checks, the column
guesses, and the old desks' values in casedesk's terms."""

from datetime import UTC, datetime

import pytest

from casedesk.cases.lifecycle import Status
from casedesk.core.errors import Invalid
from casedesk.importer.mapping import Mapping, mapping_from_json, mapping_load, suggest_columns
from casedesk.importer.sources import (
    SourceError,
    SourceFile,
    Where,
    csv_rows,
    json_records,
    parse_time,
    split_tags,
)
from casedesk.importer.translate import channel_of, picklist_value, priority_of, status_of


@pytest.mark.parametrize(("raw", "expected"), [
    ("2023-03-01T09:15:00Z", datetime(2023, 3, 1, 9, 15, tzinfo=UTC)),
    ("2023-09-04T08:30:00.000Z", datetime(2023, 9, 4, 8, 30, tzinfo=UTC)),
    ("2024-01-08 09:12:44", datetime(2024, 1, 8, 9, 12, 44, tzinfo=UTC)),
    ("2024-01-08 10:12:44 +0100", datetime(2024, 1, 8, 9, 12, 44, tzinfo=UTC)),
    ("08/01/2024 09:12", datetime(2024, 1, 8, 9, 12, tzinfo=UTC)),
    (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
    ("", None), (None, None),
])
def test_times_as_the_exports_write_them(raw: object, expected: datetime | None) -> None:
    assert parse_time(raw, name="created") == expected


@pytest.mark.parametrize("raw", ["yesterday", "2023-13-45", "0001-01-01", True, [1]])
def test_what_is_no_time_is_refused_by_name(raw: object) -> None:
    with pytest.raises(SourceError, match="^created: "):
        parse_time(raw, name="created")


def test_csv_rows_know_their_lines_also_over_multi_line_values() -> None:
    data = b'\xef\xbb\xbfId,Text\n1,"two\nlines"\n\n2,plain\n3,a,b\n'
    header, rows = csv_rows(SourceFile("x.csv", data))
    items = list(rows)
    assert header == ["Id", "Text"]
    assert [(str(r.where), r.values["Id"]) for r in items[:2]] == [("x.csv line 2", "1"),
                                                                   ("x.csv line 5", "2")]
    assert isinstance(items[2], SourceError) and str(items[2].where) == "x.csv line 6"


def test_a_file_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(SourceError, match="not UTF-8"):
        csv_rows(SourceFile("x.csv", "Id,Name\n1,Müller\n".encode("latin-1")))


def test_json_records_newline_delimited_arrays_and_api_pages() -> None:
    lines = list(json_records(SourceFile("t.json", b'{"id": 1}\n\n{"id": 2}\n{oops\n')))
    assert [str(w) for w, _ in lines] == ["t.json line 1", "t.json line 3", "t.json line 4"]
    assert isinstance(lines[2][1], SourceError)
    page = list(json_records(SourceFile("p.json", b'{"tickets": [{"id": 1}], "users": '
                                                  b'[{"id": 9}], "count": 2}')))
    assert [r["__kind__"] for _, r in page] == ["tickets", "users"]
    assert str(Where("a.json", record=3)) == "a.json record 3"


def test_the_mapping_is_checked() -> None:
    mapping = mapping_from_json({"columns": {"id": "Ref", "custom:plan": "Plan"},
                                 "values": {"status": {"Parked": "pending_customer"}},
                                 "custom_fields": {"123": "plan", "456": None}})
    assert mapping.value("status", "parked") == "pending_customer"
    assert mapping.value("status", "other") is None
    for bad, message in [
        ({"colums": {}}, "unknown section 'colums'"),
        ({"columns": {"id": 3}}, "columns.id must be a non-empty string"),
        ({"values": {"owner": {}}}, "values.owner is not a field with mapped values"),
        ({"custom_fields": []}, "custom_fields must be an object"),
        ({"columns": {"id": "a\x00"}}, "NUL"),
        ([], "the mapping must be an object"),
    ]:
        with pytest.raises(Invalid, match=message):
            mapping_from_json(bad)
    with pytest.raises(Invalid, match="not JSON"):
        mapping_load(b"{")


def test_columns_are_suggested_from_the_headers() -> None:
    assert suggest_columns(["Ticket ID", "Title", "Created", "E-mail", "Company Name",
                            "Whatever"]) == {
        "id": "Ticket ID", "subject": "Title", "created_at": "Created",
        "contact_email": "E-mail", "account_name": "Company Name"}


def test_statuses_of_every_desk() -> None:
    empty = Mapping()
    assert status_of("hold", empty) == Status.IN_PROGRESS
    assert status_of("Waiting on Customer", empty) == Status.PENDING_CUSTOMER
    assert status_of("solved", empty) == Status.RESOLVED
    assert status_of("Escalated", empty, is_closed=True) == Status.CLOSED
    assert status_of("Closed - Fixed", empty, is_closed=True) == Status.CLOSED
    assert status_of("", empty, has_resolved=True) == Status.RESOLVED
    assert status_of("", empty) == Status.OPEN
    assert status_of("Parked", Mapping(values={"status": {"parked": "pending"}})) == \
        Status.PENDING_CUSTOMER
    with pytest.raises(Invalid, match="Unknown status 'Parked'"):
        status_of("Parked", empty)


def test_priorities_channels_and_picklist_values() -> None:
    empty = Mapping()
    assert [priority_of(p, empty) for p in ("Medium", "critical", "", "4")] == [2, 4, 2, 4]
    assert [channel_of(c, empty) for c in ("voice", "Feedback Widget", "", "native_messaging")
            ] == ["phone", "web", "email", "chat"]
    with pytest.raises(Invalid, match="Unknown channel 'pigeon'"):
        channel_of("pigeon", empty)
    types = {"Bug", "Question", "Other"}
    assert picklist_value("type", "question", empty, types) == "Question"
    assert picklist_value("type", "incident", empty, types, defaults={"incident": "Bug"}) == \
        "Bug"
    assert picklist_value("type", "Mechanical", Mapping(values={"type": {
        "Mechanical": "Other"}}), types) == "Other"
    with pytest.raises(Invalid, match="Type 'Mechanical' is not one of this tenant's"):
        picklist_value("type", "Mechanical", empty, types)


def test_tags_in_one_cell() -> None:
    assert split_tags("billing, payment") == ["billing", "payment"]
    assert split_tags("billing payment") == ["billing", "payment"]


def test_absurdly_nested_json_is_refused_not_a_crash() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(SourceError, match="nested too deeply"):
        list(json_records(SourceFile("t.json", deep)))
    lines = list(json_records(SourceFile("t.json", b'{"id": 1}\n' + b'{"a":' * 50_000)))
    assert isinstance(lines[1][1], SourceError)

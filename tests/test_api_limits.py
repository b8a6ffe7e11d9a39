"""No API input reaches the database unbounded: every string a request sends (its body, its
query string, its headers) has a length bound, or a form that bounds it, and every integer a
maximum, in the OpenAPI document itself, so a schema added tomorrow without one fails here.

Path parameters are left out: they name a record, and one that names none, however long or
large, is a 404. Values without a type (custom fields, a condition's value) go to JSON
columns, which hold any length; the services check what they hold.

And when a value reaches the database unchecked all the same, the answer is a 422 that says
what was refused and, when the request shows it, which field."""

from typing import Any

import pytest
from django.db import DataError, transaction

from casedesk.crm import api as crm_api
from casedesk.crm.models import Account
from tests.api_checks import error, spec

# Formats whose values have a bounded length. A file upload (`binary`) is bounded by
# CASEDESK_UPLOAD_MAX_BYTES, which its endpoint enforces with a 413 (tests/kb/test_attachments.py).
BOUNDED_FORMATS = {"date", "date-time", "time", "uuid", "binary"}


def _resolve(node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = node["$ref"].rsplit("/", 1)[-1]
    return name, spec()["components"]["schemas"][name]


def unbounded(node: Any, where: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """Where, inside the schema `node`, a string has no length bound or an integer no
    maximum."""
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        name, target = _resolve(node)
        return [] if name in seen else unbounded(target, f"{where}<{name}>", seen | {name})
    found = []
    kind = node.get("type")
    if kind == "string" and not ({"maxLength", "enum", "const", "pattern"} & set(node)
                                 or node.get("format") in BOUNDED_FORMATS):
        found.append(f"{where}: a string without maxLength")
    if kind == "integer" and not {"maximum", "exclusiveMaximum", "enum", "const"} & set(node):
        found.append(f"{where}: an integer without maximum")
    for name, item in node.get("properties", {}).items():
        found += unbounded(item, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties", "propertyNames"):
        found += unbounded(node.get(key), f"{where}[]", seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for item in node.get(key, []):
            found += unbounded(item, where, seen)
    return found


def inputs() -> list[tuple[str, Any]]:
    """(where, schema) of every request body and every query and header parameter."""
    found = []
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            for content_type, content in operation.get("requestBody", {}).get(
                    "content", {}).items():
                found.append((f"{label} {content_type}", content["schema"]))
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "header"):
                    found.append((f"{label} ?{parameter['name']}", parameter["schema"]))
    return found


def test_every_input_the_api_takes_is_bounded() -> None:
    assert len(inputs()) > 50  # the walk sees the API, not nothing
    problems = [problem for where, schema in inputs() for problem in unbounded(schema, where)]
    assert not problems, "\n".join(problems)


def test_the_walk_finds_what_is_unbounded() -> None:
    assert unbounded({"type": "object", "properties": {
        "name": {"type": "string"}, "n": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}},
        "when": {"type": "string", "format": "date-time"},
        "kind": {"type": "string", "enum": ["a"]}}}, "X") == [
        "X.name: a string without maxLength", "X.n: an integer without maximum"]


def test_limits_come_from_the_columns() -> None:
    """A spot check that the document states the columns' own lengths."""
    schemas = spec()["components"]["schemas"]
    assert schemas["AccountIn"]["properties"]["name"]["maxLength"] == 200
    assert schemas["CaseIn"]["properties"]["language"]["maxLength"] == 20
    assert schemas["CalendarIn"]["properties"]["name"]["maxLength"] == 100
    assert schemas["MailboxIn"]["properties"]["name"]["maxLength"] == 100


# --- the backstop: a value the database refuses --------------------------------------------


@pytest.fixture
def refused_by_database(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Makes creating an account fail in the database with `message`, after the write."""
    def refuse(message: str) -> None:
        real_create = crm_api.services.account_create

        def create(**kwargs: Any) -> Any:
            with transaction.atomic():
                real_create(**kwargs)
                raise DataError(message)

        monkeypatch.setattr(crm_api.services, "account_create", create)

    return refuse


def test_a_too_long_value_is_named_when_the_request_shows_which(
        agent_api, refused_by_database, caplog) -> None:
    refused_by_database("value too long for type character varying(5)\n")
    body = error(agent_api.post("/accounts", {"name": "Initech", "tier": "Gold"}), 422,
                 field="name", mentions=("name is longer than 5 characters", "nothing"))
    assert "too long or out of range" in body["detail"]
    assert not Account.objects.exists()
    assert "reached the database unchecked" in caplog.text


def test_a_too_long_value_is_not_named_when_several_could_be(agent_api,
                                                             refused_by_database) -> None:
    refused_by_database("value too long for type character varying(5)")
    body = error(agent_api.post("/accounts", {"name": "Initech", "tier": "Platinum"}), 422,
                 mentions=("a text is longer than 5 characters",))
    assert body["field"] is None


@pytest.mark.parametrize(("message", "words"), [
    ("integer out of range", "outside -2147483648 to 2147483647"),
    ("smallint out of range", "outside -32768 to 32767"),
    ("numeric field overflow\nDETAIL:  A field with precision 14, scale 2 must round to an "
     "absolute value less than 10^12.", "more digits"),
    ("invalid byte sequence for encoding \"UTF8\": 0x00", "too long or out of range"),
])
def test_numbers_and_the_rest_get_a_clear_message(agent_api, refused_by_database, message,
                                                  words) -> None:
    refused_by_database(message)
    error(agent_api.post("/accounts", {"name": "Initech"}), 422, mentions=(words,))
    assert not Account.objects.exists()

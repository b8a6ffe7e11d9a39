"""Checks for the API tests of every app: the OpenAPI document as served, that an answer has
the shape it documents, the error shape, and walking cursor-paginated lists."""

import json
from functools import cache
from typing import Any

import jsonschema_rs

from casedesk.api import api as ninja_api
from tests.conftest import Api


@cache
def spec() -> dict[str, Any]:
    """The OpenAPI document as served (JSON keys: status codes are strings)."""
    return json.loads(json.dumps(ninja_api.get_openapi_schema(), default=str))


def operations() -> list[tuple[str, str]]:
    """Every (METHOD, path template) the OpenAPI spec lists, path without the /api/v1 prefix."""
    found = []
    for path, item in spec()["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path.removeprefix("/api/v1")))
    return sorted(found)


@cache
def _validator(method: str, template: str, status: int) -> Any:
    operation = spec()["paths"]["/api/v1" + template][method.lower()]
    documented = operation["responses"]
    assert str(status) in documented, (
        f"{method} {template} answered {status}, which its spec does not document")
    schema = documented[str(status)]["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": spec()["components"]})


def conforms(response: Any, method: str, template: str) -> Any:
    """The response's JSON after checking it matches what the spec documents for its status."""
    body = response.json()
    errors = [e.message for e in _validator(method, template, response.status_code)
              .iter_errors(body)]
    assert not errors, f"{method} {template} -> {response.status_code}: {errors[:3]}"
    return body


def error(response: Any, status: int, *, field: str | None = None,
          mentions: tuple[str, ...] = ()) -> dict[str, Any]:
    """Checks an error answer: the status, JSON `{"detail": ...}`, the field it names and the
    words its message must contain."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    if field is not None:
        assert body.get("field") == field, body
    for word in mentions:
        assert word.lower() in body["detail"].lower(), (word, body["detail"])
    return body


CASE_KEYS = {
    "number", "subject", "description", "status", "sub_status", "priority", "type", "category",
    "subcategory", "source", "language", "account", "contact", "deal_id", "queue", "owner", "tags",
    "custom_fields", "created_at", "updated_at", "first_response_at", "resolved_at",
    "closed_at", "closed_reason", "closure_note", "reopen_count", "follow_up_of",
    "age_seconds", "allowed_transitions", "sla",
}


def numbers(items: list[dict[str, Any]]) -> list[str]:
    return [item["number"] for item in items]


def walk_pages(api: Api, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a cursor-paginated list, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    for _ in range(1000):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = api.get(path, **query)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")

"""Zendesk's JSON export: tickets (with their comments), users and organizations.

Zendesk's full JSON export writes one file per kind, one JSON object a line; the incremental
export API answers pages such as `{"tickets": [...], "users": [...]}`. Both are read, in any
number of files. A record's kind is its page key, else its file's name (`tickets…`,
`users…`, `organizations…`), else its fields.

- organizations (id, name, domain_names) become accounts;
- users with the role `end-user` become contacts (one without an email is skipped: casedesk
  knows a contact by email); agents and admins are not imported, they name the authors of
  comments and the assignee (matched to members here by email);
- tickets (id, subject, description, status, priority, type, requester_id, assignee_id,
  organization_id, tags, custom_fields [{id, value}], via.channel, created_at, updated_at,
  metric_set.solved_at, comments [{id, author_id, public, body, created_at}]) become cases;
  the first comment, which repeats the description, is not imported twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from casedesk.importer.mapping import Mapping
from casedesk.importer.sources import (
    Export,
    SourceAccount,
    SourceCase,
    SourceContact,
    SourceError,
    SourceFile,
    SourceNote,
    Where,
    id_value,
    json_records,
    parse_time,
    text_value,
)

KINDS = ("tickets", "users", "organizations")


@dataclass(frozen=True)
class _User:
    name: str
    email: str
    is_agent: bool


def _kind(record: dict[str, Any], file: str) -> str | None:
    key = record.pop("__kind__", None)
    if key in KINDS:
        return str(key)
    lowered = file.lower()
    for kind in KINDS:
        if kind[:-1] in lowered:
            return kind
    if "requester_id" in record or "subject" in record:
        return "tickets"
    if "role" in record or "email" in record:
        return "users"
    if "domain_names" in record:
        return "organizations"
    return None


def read(files: list[SourceFile], mapping: Mapping) -> Export:
    export = Export()
    by_kind: dict[str, list[tuple[Where, dict[str, Any]]]] = {k: [] for k in KINDS}
    for file in files:
        try:
            for where, record in json_records(file):
                if isinstance(record, SourceError):
                    export.refuse(where, record.message)
                elif not isinstance(record, dict):
                    export.refuse(where, "expected a JSON object")
                elif (kind := _kind(record, file.name)) is None:
                    export.refuse(where, "not a ticket, user or organization")
                else:
                    by_kind[kind].append((where, record))
        except SourceError as error:
            export.refuse(error.where or file.name, error.message)
    for where, record in by_kind["organizations"]:
        _guarded(export, where, lambda r=record, w=where: _organization(export, r, w))
    users: dict[str, _User] = {}
    for where, record in by_kind["users"]:
        _guarded(export, where, lambda r=record, w=where: _user(export, users, r, w))
    for where, record in by_kind["tickets"]:
        _guarded(export, where,
                 lambda r=record, w=where: export.cases.append(_ticket(r, w, users, mapping)))
    return export


def _guarded(export: Export, where: Where, read: Any) -> None:
    try:
        read()
    except SourceError as error:
        export.refuse(where, error.message)


def _organization(export: Export, record: dict[str, Any], where: Where) -> None:
    external = id_value(record.get("id"), name="id")
    if external is None:
        raise SourceError("an organization needs its id")
    domains = record.get("domain_names") or []
    if not isinstance(domains, list):
        raise SourceError("domain_names: expected a list")
    export.accounts.append(SourceAccount(
        external_id=external, name=text_value(record.get("name"), name="name"), where=where,
        domain=text_value(domains[0], name="domain_names") if domains else ""))


def _user(export: Export, users: dict[str, _User], record: dict[str, Any], where: Where
          ) -> None:
    external = id_value(record.get("id"), name="id")
    if external is None:
        raise SourceError("a user needs its id")
    role = text_value(record.get("role"), name="role") or "end-user"
    name = text_value(record.get("name"), name="name")
    email = text_value(record.get("email"), name="email").strip()
    users[external] = _User(name=name, email=email, is_agent=role in ("agent", "admin"))
    if role in ("agent", "admin"):
        export.skip(where, f"{role} {name or external}: agents are not imported as contacts")
        return
    if not email:
        export.skip(where, f"user {name or external} has no email address")
        return
    export.contacts.append(SourceContact(
        external_id=external, email=email, where=where, name=name,
        phone=text_value(record.get("phone"), name="phone"),
        account_ref=id_value(record.get("organization_id"), name="organization_id")))


def _custom(record: dict[str, Any]) -> dict[str, Any]:
    fields = record.get("custom_fields") or []
    if not isinstance(fields, list):
        raise SourceError("custom_fields: expected a list of {id, value}")
    found: dict[str, Any] = {}
    for item in fields:
        if not isinstance(item, dict) or "id" not in item:
            raise SourceError("custom_fields: expected a list of {id, value}")
        value = item.get("value")
        if value not in (None, "", []):
            found[str(id_value(item["id"], name="custom_fields.id"))] = value
    return found


def _comments(record: dict[str, Any], users: dict[str, _User], description: str
              ) -> list[SourceNote]:
    comments = record.get("comments") or []
    if not isinstance(comments, list):
        raise SourceError("comments: expected a list")
    notes = []
    for index, comment in enumerate(comments):
        if not isinstance(comment, dict):
            raise SourceError(f"comments[{index}]: expected an object")
        body = text_value(comment.get("plain_body") or comment.get("body"),
                          name=f"comments[{index}].body")
        if index == 0 and body.strip() == description.strip():
            continue  # Zendesk's first comment is the description itself
        author = users.get(str(comment.get("author_id")))
        created = parse_time(comment.get("created_at"), name=f"comments[{index}].created_at")
        external = id_value(comment.get("id"), name=f"comments[{index}].id")
        if created is None or external is None:
            raise SourceError(f"comments[{index}]: a comment needs its id and created_at")
        public = comment.get("public", True)
        if not isinstance(public, bool):
            raise SourceError(f"comments[{index}].public: expected true or false")
        by_customer = author is not None and not author.is_agent
        notes.append(SourceNote(
            external_id=external, body=body, is_public=public or by_customer,
            created_at=created, by_customer=by_customer,
            author_name=author.name if author else "",
            author_email=author.email if author else ""))
    return notes


def _ticket(record: dict[str, Any], where: Where, users: dict[str, _User], mapping: Mapping
            ) -> SourceCase:
    external = id_value(record.get("id"), name="id")
    created = parse_time(record.get("created_at"), name="created_at")
    if external is None or created is None:
        raise SourceError("a ticket needs its id and created_at")
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise SourceError("tags: expected a list of strings")
    via = record.get("via") or {}
    metrics = record.get("metric_set") or {}
    if not isinstance(via, dict) or not isinstance(metrics, dict):
        raise SourceError("via and metric_set must be objects")
    description = text_value(record.get("description"), name="description")
    assignee = users.get(str(record.get("assignee_id")))
    status = text_value(record.get("status"), name="status")
    updated = parse_time(record.get("updated_at"), name="updated_at")
    return SourceCase(
        external_id=external, where=where, created_at=created, updated_at=updated,
        subject=text_value(record.get("subject") or record.get("raw_subject"),
                           name="subject"),
        description=description, status=status,
        priority=text_value(record.get("priority"), name="priority"),
        type=text_value(record.get("type"), name="type"),
        channel=text_value(via.get("channel"), name="via.channel"),
        tags=list(tags), custom=_custom(record),
        contact_ref=id_value(record.get("requester_id"), name="requester_id"),
        account_ref=id_value(record.get("organization_id"), name="organization_id"),
        owner_email=assignee.email if assignee else "",
        resolved_at=parse_time(metrics.get("solved_at"), name="metric_set.solved_at"),
        # Zendesk closes a solved ticket by itself later; its last update is that moment.
        closed_at=updated if status == "closed" else None,
        notes=_comments(record, users, description))

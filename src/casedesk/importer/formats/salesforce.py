"""Salesforce's Data Export (Setup → Data Export) or Data Loader CSVs, one file per object,
known by its name:

- `Case.csv`: Id, CaseNumber, Subject, Description, Status, Priority, Origin, Type, Reason,
  AccountId, ContactId, OwnerId, CreatedDate, ClosedDate, IsClosed, LastModifiedDate,
  SuppliedEmail, SuppliedName, and custom fields (`…__c`);
- `Account.csv`: Id, Name, Website; `Contact.csv`: Id, AccountId, FirstName, LastName (or
  Name), Email, Phone;
- `CaseComment.csv`: Id, ParentId, IsPublished, CommentBody, CreatedById, CreatedDate,
  IsDeleted (deleted comments are left out);
- optional `EmailMessage.csv`: Id, ParentId, Incoming, FromAddress, FromName, TextBody,
  MessageDate (customers' mail and agents' replies);
- optional `User.csv`: Id, Name, Email: the people behind OwnerId and CreatedById.

`Reason` is read as the category. A custom field column (`Plan__c`) is imported when the
mapping's `custom_fields` names the casedesk field, or a casedesk field has its key
(`plan`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from casedesk.importer.mapping import Mapping
from casedesk.importer.sources import (
    CsvRow,
    Export,
    SourceAccount,
    SourceCase,
    SourceContact,
    SourceError,
    SourceFile,
    SourceNote,
    csv_rows,
    good_rows,
    parse_bool,
    parse_time,
)

OBJECTS = ("Case", "Account", "Contact", "CaseComment", "EmailMessage", "User")
REQUIRED = {"Case": ("Id", "Subject", "CreatedDate"), "Account": ("Id", "Name"),
            "Contact": ("Id", "Email"), "CaseComment": ("ParentId", "CommentBody",
                                                        "CreatedDate"),
            "EmailMessage": ("ParentId", "Incoming", "MessageDate"), "User": ("Id",)}


@dataclass(frozen=True)
class _Person:
    name: str
    email: str


def _object(name: str) -> str | None:
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold()
    for obj in OBJECTS:
        if stem == obj.casefold():
            return obj
    return None


def _rows(export: Export, file: SourceFile, obj: str) -> Iterator[CsvRow]:
    header, rows = csv_rows(file)
    missing = [name for name in REQUIRED[obj] if name not in header]
    if missing:
        raise SourceError(f"{obj}.csv has no column " + ", ".join(repr(m) for m in missing))
    yield from good_rows(export, file, rows)


def read(files: list[SourceFile], mapping: Mapping) -> Export:
    export = Export()
    by_object: dict[str, SourceFile] = {}
    for file in files:
        obj = _object(file.name)
        if obj is None:
            export.refuse(file.name, "not a Salesforce export file (expected "
                          + ", ".join(f"{o}.csv" for o in OBJECTS) + ")")
        elif obj in by_object:
            export.refuse(file.name, f"a second {obj}.csv")
        else:
            by_object[obj] = file
    if "Case" not in by_object:
        export.refuse("the files", "no Case.csv among them")
        return export
    people: dict[str, _Person] = {}
    handlers = (("User", lambda row: _user(people, row)),
                ("Account", lambda row: _account(export, row)),
                ("Contact", lambda row: _contact(export, row)))
    for obj, handle in handlers:
        _each(export, by_object.get(obj), obj, handle)
    cases: dict[str, SourceCase] = {}
    _each(export, by_object["Case"], "Case", lambda row: _case(cases, people, row))
    _each(export, by_object.get("CaseComment"), "CaseComment",
          lambda row: _comment(cases, people, row))
    _each(export, by_object.get("EmailMessage"), "EmailMessage",
          lambda row: _email(cases, row))
    export.cases.extend(cases.values())
    return export


def _each(export: Export, file: SourceFile | None, obj: str,
          handle: Callable[[CsvRow], None]) -> None:
    if file is None:
        return
    try:
        for row in _rows(export, file, obj):
            try:
                handle(row)
            except SourceError as error:
                export.refuse(row.where, error.message)
    except SourceError as error:
        export.refuse(error.where or file.name, error.message)


def _user(people: dict[str, _Person], row: CsvRow) -> None:
    v = row.values
    name = v.get("Name") or " ".join(p for p in (v.get("FirstName"), v.get("LastName")) if p)
    people[v["Id"]] = _Person(name=name, email=v.get("Email", ""))


def _account(export: Export, row: CsvRow) -> None:
    v = row.values
    website = v.get("Website", "")
    domain = website.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    export.accounts.append(SourceAccount(external_id=v["Id"], name=v["Name"], where=row.where,
                                         domain=domain))


def _contact(export: Export, row: CsvRow) -> None:
    v = row.values
    name = v.get("Name") or " ".join(p for p in (v.get("FirstName"), v.get("LastName")) if p)
    export.contacts.append(SourceContact(
        external_id=v["Id"], email=v["Email"], where=row.where, name=name,
        phone=v.get("Phone", "") or v.get("MobilePhone", ""),
        account_ref=v.get("AccountId") or None))


def _case(cases: dict[str, SourceCase], people: dict[str, _Person], row: CsvRow) -> None:
    v = row.values
    created = parse_time(v["CreatedDate"], name="CreatedDate")
    if not v["Id"] or created is None:
        raise SourceError("a case needs its Id and CreatedDate")
    if v["Id"] in cases:
        raise SourceError(f"a second case with Id {v['Id']}")
    owner = people.get(v.get("OwnerId", ""))
    is_closed = parse_bool(v.get("IsClosed"), name="IsClosed")
    closed = parse_time(v.get("ClosedDate"), name="ClosedDate")
    cases[v["Id"]] = SourceCase(
        external_id=v["Id"], subject=v["Subject"], where=row.where, created_at=created,
        updated_at=parse_time(v.get("LastModifiedDate"), name="LastModifiedDate"),
        description=v.get("Description", ""), status=v.get("Status", ""),
        priority=v.get("Priority", ""), type=v.get("Type", ""),
        category=v.get("Reason", ""), channel=v.get("Origin", ""),
        custom={k: val for k, val in v.items() if k.endswith("__c") and val},
        contact_ref=v.get("ContactId") or None, account_ref=v.get("AccountId") or None,
        owner_email=owner.email if owner else "", is_closed=is_closed,
        resolved_at=closed, closed_at=closed)


def _parent(cases: dict[str, SourceCase], row: CsvRow) -> SourceCase:
    parent = cases.get(row.values["ParentId"])
    if parent is None:
        raise SourceError(f"ParentId {row.values['ParentId']!r} is no case of Case.csv")
    return parent


def _external(row: CsvRow, prefix: str) -> str:
    # Data Loader extracts may leave Id out; the place in the file is stable across re-runs.
    return row.values.get("Id") or f"{prefix}:{row.where.line}"


def _comment(cases: dict[str, SourceCase], people: dict[str, _Person], row: CsvRow) -> None:
    v = row.values
    if parse_bool(v.get("IsDeleted"), name="IsDeleted"):
        return
    parent = _parent(cases, row)
    created = parse_time(v["CreatedDate"], name="CreatedDate")
    if created is None:
        raise SourceError("a comment needs its CreatedDate")
    author = people.get(v.get("CreatedById", ""))
    parent.notes.append(SourceNote(
        external_id=_external(row, "comment"), body=v["CommentBody"],
        is_public=bool(parse_bool(v.get("IsPublished"), name="IsPublished")),
        created_at=created, author_name=author.name if author else "",
        author_email=author.email if author else ""))


def _email(cases: dict[str, SourceCase], row: CsvRow) -> None:
    v = row.values
    parent = _parent(cases, row)
    sent = parse_time(v["MessageDate"], name="MessageDate")
    if sent is None:
        raise SourceError("a message needs its MessageDate")
    incoming = bool(parse_bool(v["Incoming"], name="Incoming"))
    parent.notes.append(SourceNote(
        external_id=_external(row, "email"), body=v.get("TextBody", ""), is_public=True,
        created_at=sent, by_customer=incoming, author_name=v.get("FromName", ""),
        author_email=v.get("FromAddress", "")))

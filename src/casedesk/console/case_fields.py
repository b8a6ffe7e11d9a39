"""The editable fields of the case page: how each is shown, which editor it gets, and how a
posted editor becomes the `changes` of `case_update`.

Parsing only: whether a value is allowed is for the services to say (they raise Invalid with
the field). Options are loaded only for the one field being edited.
"""

from dataclasses import dataclass, field
from typing import Any

from casedesk.cases.customfields import FieldKind
from casedesk.cases.models import Case, CustomFieldDefinition, PicklistKind, PicklistValue, Source
from casedesk.core.priority import Priority
from casedesk.core.text import filter_search, search_term
from casedesk.crm.models import Account, Contact
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership
from casedesk.tenancy.selectors import members_of

CUSTOM_PREFIX = "cf."
SEARCH_LIMIT = 50

# name: (label, editor). The header shows subject and description; the rest is "Details".
FIELDS: dict[str, tuple[str, str]] = {
    "subject": ("Subject", "text"),
    "description": ("Description", "textarea"),
    "priority": ("Priority", "select"),
    "type": ("Type", "select"),
    "category": ("Category", "category"),
    "source": ("Source", "select"),
    "queue": ("Queue", "select"),
    "owner": ("Owner", "owner"),
    "account": ("Account", "search"),
    "contact": ("Contact", "search"),
    "tags": ("Tags", "tags"),
}
DETAIL_FIELDS = ("priority", "type", "category", "owner", "queue", "account", "contact",
                 "source", "tags")
CUSTOM_EDITORS = {FieldKind.TEXT: "text", FieldKind.NUMBER: "number", FieldKind.DATE: "date",
                  FieldKind.PICKLIST: "select", FieldKind.CHECKBOX: "checkbox"}
SOURCE_LABELS = {"api": "API", "web": "Web form"}
Options = list[tuple[str, str]]


@dataclass
class FieldRow:
    """One field as the page shows it, and what its editor needs when it is open."""

    name: str
    label: str
    editor: str
    display: str = ""
    detail: str = ""
    css: str = ""
    pills: list[str] = field(default_factory=list)
    value: str = ""
    value2: str = ""
    options: Options = field(default_factory=list)
    groups: list[tuple[str, Options]] = field(default_factory=list)
    search: str = ""
    editing: bool = False
    error: str = ""
    help: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.display and not self.pills

    @property
    def dom_id(self) -> str:
        return "field-" + self.name.replace(".", "-")


def custom_definitions(case: Case) -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.filter(tenant_id=case.tenant_id, is_active=True))


def is_known(name: str, definitions: list[CustomFieldDefinition]) -> bool:
    """Whether the case page offers `name`: custom fields only where they show on it."""
    if name.startswith(CUSTOM_PREFIX):
        return any(d.key == name[len(CUSTOM_PREFIX):] and d.show_on_case_page
                   for d in definitions)
    return name in FIELDS


def custom_definition(name: str, definitions: list[CustomFieldDefinition]) -> CustomFieldDefinition:
    key = name[len(CUSTOM_PREFIX):]
    return next(d for d in definitions if d.key == key)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return str(value)


def field_row(case: Case, name: str, definitions: list[CustomFieldDefinition]) -> FieldRow:
    """`name` shown read-only, its editor's current value filled in."""
    if name.startswith(CUSTOM_PREFIX):
        definition = custom_definition(name, definitions)
        raw = case.custom_fields.get(definition.key)
        editor = CUSTOM_EDITORS.get(FieldKind(definition.kind), "text")
        return FieldRow(name=name, label=definition.label, editor=editor, display=_shown(raw),
                        value="on" if raw is True else _shown(raw) if raw is not False else "",
                        help=definition.help_text)
    label, editor = FIELDS[name]
    row = FieldRow(name=name, label=label, editor=editor)
    if name in ("subject", "description", "type"):
        row.display = row.value = getattr(case, name)
    elif name == "source":
        row.value = case.source
        row.display = SOURCE_LABELS.get(case.source, case.source.capitalize())
    elif name == "priority":
        row.value = case.priority_name
        row.display = row.value.capitalize()
        row.css = f"prio-{row.value}"
    elif name == "category":
        row.value, row.value2 = case.category, case.subcategory
        row.display = " › ".join(v for v in (case.category, case.subcategory) if v)
    elif name == "queue":
        row.value = str(case.queue_id or "")
        row.display = case.queue.name if case.queue is not None else ""
    elif name == "owner":
        row.value = f"user:{case.owner_id}" if case.owner_id else ""
        row.display = case.owner.display_name if case.owner is not None else ""
    elif name == "account":
        row.value = str(case.account_id or "")
        row.display = case.account.name if case.account is not None else ""
    elif name == "contact":
        row.value = str(case.contact_id or "")
        if case.contact is not None:
            row.display = case.contact.name or case.contact.email
            row.detail = case.contact.email if case.contact.name else ""
    elif name == "tags":
        row.pills = list(case.tags)
        row.value = ", ".join(case.tags)
    return row


def detail_rows(case: Case, definitions: list[CustomFieldDefinition]) -> list[FieldRow]:
    names = [*DETAIL_FIELDS, *(CUSTOM_PREFIX + d.key for d in definitions
                               if d.show_on_case_page)]
    return [field_row(case, name, definitions) for name in names]


def _picklist(tenant_id: int, kind: str, current: str, parent: str | None = None) -> Options:
    qs = PicklistValue.objects.filter(tenant_id=tenant_id, kind=kind, is_active=True)
    if parent is not None:
        qs = qs.filter(parent=parent)
    values = list(dict.fromkeys(qs.order_by("position", "value").values_list("value", flat=True)))
    if current and current not in values:
        values.insert(0, current)
    return [("", "—"), *((v, v) for v in values)]


def fill_editor(row: FieldRow, case: Case, membership: Membership,
                definitions: list[CustomFieldDefinition], *, search: str = "") -> FieldRow:
    """Opens `row`'s editor: loads the choices it offers (at most one or two queries)."""
    row.editing = True
    tenant_id = case.tenant_id
    name = row.name
    if name.startswith(CUSTOM_PREFIX):
        definition = custom_definition(name, definitions)
        if definition.kind == FieldKind.PICKLIST:
            # A choice taken away since stays on the case, so it is offered to keep.
            kept = [row.value] if row.value and row.value not in definition.choices else []
            row.options = [("", "—"), *((c, c) for c in [*kept, *definition.choices])]
    elif name == "priority":
        row.options = [(p.label, p.label.capitalize()) for p in reversed(Priority)]
    elif name == "type":
        row.options = _picklist(tenant_id, PicklistKind.TYPE, case.type)
    elif name == "source":
        row.options = [(s.value, SOURCE_LABELS.get(s.value, s.value.capitalize()))
                       for s in Source]
    elif name == "category":
        rows = (PicklistValue.objects.filter(
            tenant_id=tenant_id, is_active=True,
            kind__in=[PicklistKind.CATEGORY, PicklistKind.SUBCATEGORY])
            .order_by("position", "value").values_list("kind", "parent", "value"))
        categories = [v for k, _, v in rows if k == PicklistKind.CATEGORY]
        subs = {c: [(v, v) for k, p, v in rows if k == PicklistKind.SUBCATEGORY and p == c]
                for c in categories}
        # A retired category or subcategory stays on the case: it is offered to keep.
        if case.category and case.category not in subs:
            categories.insert(0, case.category)
            subs[case.category] = []
        kept_sub = (case.subcategory, case.subcategory)
        if case.category and case.subcategory and kept_sub not in subs[case.category]:
            subs[case.category].insert(0, kept_sub)
        row.options = [("", "—"), *((c, c) for c in categories)]
        row.groups = [(c, subs[c]) for c in categories]
    elif name == "queue":
        queues = Queue.objects.filter(tenant_id=tenant_id, is_active=True).order_by("name")
        row.options = [("", "No queue"), *((str(q.pk), q.name) for q in queues)]
    elif name == "owner":
        members = members_of(tenant_id)
        queues = Queue.objects.filter(tenant_id=tenant_id, is_active=True).order_by("name")
        row.groups = [
            ("People", [(f"user:{m.user_id}", m.user.display_name
                         + (" (me)" if m.user_id == membership.user_id else ""))
                        for m in members]),
            ("Back to a queue, unassigned", [(f"queue:{q.pk}", q.name) for q in queues]),
        ]
    elif name in ("account", "contact"):
        row.search = search
        row.options = search_options(name, case, search)
    return row


def search_options(name: str, case: Case, search: str) -> Options:
    """Accounts or contacts matching `search` for a picker, the current one kept in."""
    search = search_term(search, max_length=100)
    found: Options
    if name == "account":
        accounts = filter_search(Account.objects.filter(tenant_id=case.tenant_id), search,
                                 ("name", "domain"))
        found = [(str(a.pk), a.name) for a in accounts.order_by("name")[:SEARCH_LIMIT]]
        current = (str(case.account_id), case.account.name) if case.account is not None else None
    else:
        contacts = Contact.objects.filter(tenant_id=case.tenant_id).select_related("account")
        if search:
            contacts = filter_search(contacts, search, ("name", "email"))
        elif case.account_id:
            contacts = contacts.filter(account_id=case.account_id)
        found = [(str(c.pk), _contact_label(c)) for c in
                 contacts.order_by("name", "email")[:SEARCH_LIMIT]]
        current = ((str(case.contact_id), _contact_label(case.contact))
                   if case.contact is not None else None)
    options: Options = [("", "— none —")]
    if current is not None and current[0] not in {value for value, _ in found}:
        options.append(current)
    return options + found


def _contact_label(contact: Contact) -> str:
    return f"{contact.name} <{contact.email}>" if contact.name else contact.email

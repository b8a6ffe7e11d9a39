"""Macros: what saving checks, who sees which macro, the preview, and applying one through
the case services (every change on the timeline, a refused move applying nothing)."""

from typing import Any

import pytest

from casedesk.automation.macros import (
    MacroInput,
    get_macro_for_member,
    macro_apply,
    macro_create,
    macro_preview,
    macro_update,
    macros_for_member,
)
from casedesk.automation.models import Macro
from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.cases.services import case_transition, case_update
from casedesk.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from casedesk.core.priority import Priority
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import ContactFactory, make_case


def shared(manager: Membership, **fields: Any) -> Macro:
    fields.setdefault("name", "Ask for logs")
    return macro_create(membership=manager, data=MacroInput(**fields), shared=True, now=NOW)


def state(case: Case) -> dict[str, Any]:
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return {"case": row, "notes": Note.objects.filter(case=case).count(),
            "events": TimelineEvent.objects.filter(case=case).count()}


# --- saving -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "field"), [
    ({"reply": "Hello {% if %}"}, "reply"),
    ({"reply": "{% load static %}x"}, "reply"),
    ({"changes": {"priority": "critical"}}, "changes.priority"),
    ({"changes": {"type": "Not a type"}}, "changes.type"),
    ({"changes": {"category": "Billing", "subcategory": "Login"}}, "changes.subcategory"),
    ({"changes": {"status": "closed"}, "reply": "Bye"}, "changes.status"),
    ({"changes": {"status": "new"}}, "changes.status"),
    ({"changes": {"status": "resolved"}, "reply": ""}, "changes.status"),
    ({"changes": {"queue_id": 10**12}}, "changes.queue_id"),
    ({"changes": {"owner_id": 10**12}}, "changes.owner_id"),
    ({"changes": {"subject": "x"}}, "changes"),
    ({"tags_add": [f"t{i}" for i in range(21)]}, "tags_add"),
    ({"tags_add": ["x" * 51]}, "tags_add"),
    ({"tags_add": ["vip"], "tags_remove": ["vip"]}, "tags_remove"),
    ({"name": "  "}, "name"),
    ({"name": "x" * 121, "reply": "Hi"}, "name"),
    ({"reply": ""}, "reply"),  # does nothing at all
])
def test_saving_refuses_what_cannot_apply(manager: Membership, fields: dict[str, Any],
                                          field: str) -> None:
    fields = {"name": "Broken", "reply": "Hi", **fields}
    with pytest.raises(Invalid) as refusal:
        shared(manager, **fields)
    assert refusal.value.field == field
    assert not Macro.objects.filter(tenant=manager.tenant).exists()


def test_a_queue_or_member_of_another_tenant_is_refused(manager: Membership,
                                                        outsider: Membership) -> None:
    their_queue = Queue.objects.get(tenant=outsider.tenant, name="Support")
    with pytest.raises(Invalid, match="queue"):
        shared(manager, changes={"queue_id": their_queue.pk})
    with pytest.raises(Invalid, match="member"):
        shared(manager, changes={"owner_id": outsider.user_id})


def test_saving_stores_the_cleaned_macro(manager: Membership, finance: Queue) -> None:
    macro = shared(manager, name=" Billing  handover ", reply="Hi {{ contact.name }}",
                   changes={"priority": "HIGH", "queue_id": finance.pk, "owner_id": None,
                            "category": "Billing", "subcategory": "Refund"},
                   tags_add=[" vip ", "vip", "billing"], tags_remove=["new"])
    macro.refresh_from_db()
    assert macro.name == "Billing  handover" and macro.owner_id is None
    assert macro.changes == {"priority": "high", "queue_id": finance.pk, "owner_id": None,
                             "category": "Billing", "subcategory": "Refund"}
    assert macro.tags_add == ["vip", "billing"] and macro.tags_remove == ["new"]
    assert macro.created_by_id == manager.user_id


def test_a_name_is_used_once_per_scope(manager: Membership, agent: Membership) -> None:
    shared(manager, name="Greet", reply="Hi")
    with pytest.raises(Invalid, match="already"):
        shared(manager, name="greet", reply="Hello")
    # A personal macro may share the name of a shared one.
    macro_create(membership=agent, data=MacroInput(name="Greet", reply="Yo"), shared=False,
                 now=NOW)


def test_update_checks_the_whole_macro_again(manager: Membership) -> None:
    macro = shared(manager, reply="Hello")
    with pytest.raises(Invalid):
        macro_update(macro=macro, changes={"reply": "{% debug %}"}, now=NOW)
    macro.refresh_from_db()
    assert macro.reply == "Hello"
    macro_update(macro=macro, changes={"is_active": False, "changes": {"priority": "low"}},
                 now=NOW)
    macro.refresh_from_db()
    assert not macro.is_active and macro.changes == {"priority": "low"}


# --- who sees what ----------------------------------------------------------------------------

def test_only_managers_and_admins_make_shared_macros(agent: Membership) -> None:
    with pytest.raises(PermissionDenied):
        macro_create(membership=agent, data=MacroInput(name="Mine", reply="Hi"), shared=True,
                     now=NOW)


def test_a_personal_macro_is_its_owners_alone(agent: Membership, agent2: Membership,
                                              admin: Membership, manager: Membership) -> None:
    team = shared(manager, name="Team", reply="Hi")
    mine = macro_create(membership=agent, data=MacroInput(name="Mine", reply="Yo"),
                        shared=False, now=NOW)
    assert set(macros_for_member(agent)) == {team, mine}
    assert set(macros_for_member(agent2)) == {team}
    assert set(macros_for_member(admin)) == {team}
    for other in (agent2, admin):
        with pytest.raises(NotFound):
            get_macro_for_member(other, mine.pk)
    assert get_macro_for_member(agent, mine.pk, write=True) == mine
    assert get_macro_for_member(agent, team.pk) == team
    with pytest.raises(PermissionDenied):
        get_macro_for_member(agent, team.pk, write=True)
    assert get_macro_for_member(manager, team.pk, write=True) == team


def test_another_tenants_macro_is_not_found(manager: Membership, outsider: Membership) -> None:
    macro = shared(manager, reply="Hi")
    with pytest.raises(NotFound):
        get_macro_for_member(outsider, macro.pk)


# --- preview and apply ------------------------------------------------------------------------

@pytest.fixture
def case(tenant: Tenant) -> Case:
    contact = ContactFactory(tenant=tenant, name="Dana Scully", email="dana@example.com")
    return make_case(tenant, subject="Invoice twice", contact_id=contact.pk, tags=["new"],
                     priority=Priority.NORMAL, type="Question")


def test_preview_renders_the_reply_and_lists_the_changes_without_writing(
        manager: Membership, agent: Membership, case: Case, finance: Queue) -> None:
    macro = shared(manager, reply="Hello {{ contact.name }}, about {{ case.number }}.",
                   changes={"priority": "urgent", "type": "Billing", "queue_id": finance.pk,
                            "owner_id": agent.user_id, "status": "open"},
                   tags_add=["vip"], tags_remove=["new"])
    before = state(case)
    preview = macro_preview(macro=macro, case=case, now=NOW)
    assert preview.reply == f"Hello Dana Scully, about {case.display_number}."
    texts = [line.text for line in preview.lines]
    assert "Priority: Normal → Urgent" in texts
    assert "Type: Question → Billing" in texts
    assert any(t.startswith("Queue: ") and t.endswith("→ Finance") for t in texts)
    assert any(t.endswith("→ Alice Agent") for t in texts)
    assert "Tags: + vip, − new" in texts
    assert "Status: New → Open" in texts
    assert preview.can_apply and not preview.refusals
    assert state(case) == before
    assert Macro.objects.get(pk=macro.pk).use_count == 0


def test_preview_says_why_a_move_would_be_refused(manager: Membership, case: Case) -> None:
    macro = shared(manager, reply="Working on it", changes={"status": "pending_customer"})
    preview = macro_preview(macro=macro, case=case, now=NOW)
    status = next(line for line in preview.lines if line.field == "status")
    assert status.text == "Status: New → Pending customer"
    assert "Cannot move a case from new to pending_customer" in status.refused
    assert not preview.can_apply


def test_apply_makes_every_change_through_the_case_services(
        manager: Membership, agent: Membership, case: Case, finance: Queue) -> None:
    macro = shared(manager, reply="Hello {{ contact.name }}", reply_is_public=True,
                   changes={"priority": "urgent", "type": "Billing", "category": "Billing",
                            "subcategory": "Refund", "queue_id": finance.pk,
                            "owner_id": agent.user_id, "status": "open"},
                   tags_add=["vip"], tags_remove=["new"])
    result = macro_apply(macro=macro, case=case, actor=agent.user, now=NOW)
    case.refresh_from_db()
    assert (case.priority, case.type, case.category, case.subcategory) == (
        Priority.URGENT, "Billing", "Billing", "Refund")
    assert case.queue_id == finance.pk and case.owner_id == agent.user_id
    assert case.status == "open" and "vip" in case.tags and "new" not in case.tags
    note = Note.objects.get(pk=result.note_id)
    assert note.body == "Hello Dana Scully" and note.is_public and note.author == agent.user
    events = TimelineEvent.objects.filter(case=case, created_at=NOW, actor=agent.user)
    changed = set(events.filter(kind=EventKind.FIELD_CHANGED).values_list("field", flat=True))
    assert {"priority", "type", "category", "subcategory", "queue_id", "owner_id",
            "tags"} <= changed
    assert events.filter(kind=EventKind.REPLY_ADDED, note=note).exists()
    assert events.filter(kind=EventKind.STATUS_CHANGED, new_value="open").exists()
    assert "Priority: Normal → Urgent" in result.changes
    assert Macro.objects.get(pk=macro.pk).use_count == 1


def test_a_refused_move_applies_nothing(manager: Membership, agent: Membership,
                                        case: Case) -> None:
    macro = shared(manager, reply="We wait for you", changes={
        "priority": "urgent", "status": "pending_customer"}, tags_add=["waiting"])
    before = state(case)
    with pytest.raises(Conflict, match="not applied"):
        macro_apply(macro=macro, case=case, actor=agent.user, now=NOW)
    assert state(case) == before
    assert Macro.objects.get(pk=macro.pk).use_count == 0


def test_a_value_retired_since_saving_applies_nothing(manager: Membership, agent: Membership,
                                                      case: Case, finance: Queue) -> None:
    macro = shared(manager, reply="To finance", changes={"queue_id": finance.pk})
    Queue.objects.filter(pk=finance.pk).update(is_active=False)
    before = state(case)
    preview = macro_preview(macro=macro, case=case, now=NOW)
    assert [line.refused for line in preview.lines if line.field == "queue_id"] == [
        "That queue is archived or gone."]
    with pytest.raises(Invalid):
        macro_apply(macro=macro, case=case, actor=agent.user, now=NOW)
    assert state(case) == before


def test_resolving_uses_an_internal_reply_as_the_resolution_note(
        manager: Membership, agent: Membership, case: Case) -> None:
    for to in ("open", "in_progress"):
        case = case_transition(case=case, actor=agent.user, to=to, now=NOW)
    macro = shared(manager, name="Solved", reply="Fixed in {{ case.number }}.",
                   reply_is_public=False, changes={"status": "resolved"})
    notes_before = Note.objects.filter(case=case).count()
    result = macro_apply(macro=macro, case=case, actor=agent.user, now=NOW)
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_at == NOW
    # One note, the transition's, not the same text twice.
    assert Note.objects.filter(case=case).count() == notes_before + 1
    note = Note.objects.get(pk=result.note_id)
    assert note.body == f"Fixed in {case.display_number}." and not note.is_public
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.STATUS_CHANGED,
                                        new_value="resolved", note=note).exists()


def test_a_public_reply_that_resolves_goes_to_the_customer_and_is_the_note(
        manager: Membership, agent: Membership, case: Case) -> None:
    for to in ("open", "in_progress"):
        case = case_transition(case=case, actor=agent.user, to=to, now=NOW)
    macro = shared(manager, name="Solved", reply="All fixed.", changes={"status": "resolved"})
    result = macro_apply(macro=macro, case=case, actor=agent.user, now=NOW)
    case.refresh_from_db()
    assert case.status == "resolved"
    reply = Note.objects.get(pk=result.note_id)
    assert reply.is_public and reply.body == "All fixed."
    assert case.first_response_at == NOW


def test_a_new_category_takes_the_old_subcategory_with_it(
        manager: Membership, agent: Membership, case: Case) -> None:
    case = case_update(case=case, actor=agent.user, now=NOW,
                       changes={"category": "Technical", "subcategory": "Login"})
    macro = shared(manager, changes={"category": "Billing"})
    preview = macro_preview(macro=macro, case=case, now=NOW)
    assert "Subcategory: Login → none" in [line.text for line in preview.lines]
    macro_apply(macro=macro, case=case, actor=agent.user, now=NOW)
    case.refresh_from_db()
    assert (case.category, case.subcategory) == ("Billing", "")


def test_fields_the_case_holds_already_are_left_alone(manager: Membership,
                                                      agent: Membership, case: Case) -> None:
    macro = shared(manager, changes={"priority": "normal", "type": "Question"},
                   tags_add=["new"])
    assert macro_preview(macro=macro, case=case, now=NOW).lines == []
    events = TimelineEvent.objects.filter(case=case).count()
    result = macro_apply(macro=macro, case=case, actor=agent.user, now=NOW)
    assert result.changes == [] and result.note_id is None
    assert TimelineEvent.objects.filter(case=case).count() == events


def test_an_automation_applies_a_macro_without_an_actor(manager: Membership,
                                                        case: Case) -> None:
    macro = shared(manager, reply="Thanks, {{ contact.name }}", reply_is_public=False,
                   changes={"priority": "high"})
    result = macro_apply(macro=macro, case=case, actor=None, now=NOW)
    case.refresh_from_db()
    assert case.priority == Priority.HIGH
    note = Note.objects.get(pk=result.note_id)
    assert note.author is None and note.body == "Thanks, Dana Scully"


def test_a_template_sees_the_case_and_nothing_else(manager: Membership, agent: Membership,
                                                   case: Case) -> None:
    macro = shared(manager, reply="{{ case.subject }}|{{ case.priority }}|{{ tenant.name }}|"
                                  "{{ case.tenant.secret }}|{{ user.password }}")
    preview = macro_preview(macro=macro, case=case, now=NOW)
    assert preview.reply.lower() == "invoice twice|normal|acme support||"


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"], ids=["nul", "surrogate"])
def test_text_the_database_cannot_store_is_refused(manager: Membership, bad: str) -> None:
    for fields in ({"name": bad}, {"description": bad}, {"reply": bad},
                   {"changes": {"type": bad}}, {"tags_add": [bad]}, {"tags_remove": [bad]}):
        with pytest.raises(Invalid):
            shared(manager, **{"name": "Fine", "reply": "Hi", **fields})
    assert not Macro.objects.exists()
    macro = shared(manager, reply="Hi")
    with pytest.raises(Invalid):
        macro_update(macro=macro, changes={"reply": bad}, now=NOW)
    assert list(macros_for_member(manager, q=bad)) == []

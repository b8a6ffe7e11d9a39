"""Merging cases through the service: what moves, how the duplicate closes, what is refused,
and the undo that puts everything back exactly."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile

from casedesk.cases.links import link_add
from casedesk.cases.merge import DUPLICATE, case_merge, case_merge_undo, merged_target
from casedesk.cases.models import (
    Case,
    CaseLink,
    CaseMerge,
    EventKind,
    Note,
    NoteAttachment,
    Participant,
    TimelineEvent,
)
from casedesk.cases.referrals import assignment_open
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.reports.models import CaseFact
from casedesk.reports.rollup import facts_rebuild
from casedesk.routing.models import Queue
from casedesk.sla.models import SlaPause
from tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, make_case

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def _case(tenant: Any, **fields: Any) -> Case:
    return make_case(tenant, now=NOW, **fields)


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("tenant").get(pk=case.pk)


def _snapshot(tenant: Any) -> dict[str, Any]:
    """Every row an undo must restore, as plain values."""
    return {
        "cases": list(Case.objects.filter(tenant=tenant).order_by("pk").values()),
        "notes": list(Note.objects.filter(tenant=tenant).order_by("pk").values()),
        "files": list(NoteAttachment.objects.filter(tenant=tenant).order_by("pk").values()),
        "people": list(Participant.objects.filter(tenant=tenant).order_by("pk").values()),
        "links": list(CaseLink.objects.filter(tenant=tenant).order_by("pk").values()),
        "pauses": list(SlaPause.objects.filter(tenant=tenant).order_by("pk").values()),
        "note_events": list(TimelineEvent.objects.filter(tenant=tenant, note__isnull=False)
                            .exclude(kind__in=["merged_from"])
                            .order_by("pk").values("pk", "case_id", "note_id")),
    }


@pytest.fixture
def pair(tenant: Any, agent: Any) -> tuple[Case, Case]:
    """A target and a duplicate of one contact, each with notes, the duplicate with a file,
    a participant and tags."""
    contact = ContactFactory(tenant=tenant)
    target = _case(tenant, subject="Printer on fire", contact_id=contact.pk, tags=["printer"])
    source = _case(tenant, subject="Printer burning", description="Smoke everywhere.",
                   contact_id=contact.pk, tags=["printer", "smoke"])
    case_add_note(case=target, actor=agent.user, body="Looking into it", is_public=False,
                  now=NOW + H)
    note = case_add_note(case=source, actor=agent.user, body="Same printer?", is_public=False,
                         now=NOW + H)
    file = NoteAttachment(tenant=tenant, case=source, note=note, uploaded_by=agent.user,
                          filename="photo.png", content_type="image/png", size=4,
                          created_at=NOW + H)
    file.file.save("photo.png", ContentFile(b"\x89PNG"), save=False)
    file.save()
    Participant.objects.create(tenant=tenant, case=source, email="boss@customer.example",
                               created_at=NOW)
    return target, source


def test_a_merge_moves_notes_files_people_and_tags_and_closes_the_duplicate(
        tenant: Any, agent: Any, pair: tuple[Case, Case]) -> None:
    target, source = pair
    due = _fresh(target).resolution_due_at
    result = case_merge(target=target, sources=[source], actor=agent.user, now=NOW + 2 * H)
    assert result.target.pk == target.pk
    notes = set(Note.objects.filter(case=target).values_list("body", flat=True))
    assert {"Looking into it", "Same printer?"} <= notes
    assert any(b.startswith(f"{source.display_number} · Printer burning") for b in notes)
    assert not Note.objects.filter(case=source).exists()
    assert NoteAttachment.objects.get().case_id == target.pk
    assert Participant.objects.get(email="boss@customer.example").case_id == target.pk
    source, target = _fresh(source), _fresh(target)
    assert target.tags == ["printer", "smoke"]
    assert source.status == "closed" and source.closed_reason == DUPLICATE
    assert source.merged_into_id == target.pk and source.merged_at == NOW + 2 * H
    assert source.resolved_at is None
    assert target.status == "new" and target.resolution_due_at == due  # its clocks are kept
    # The duplicate's note shows on the target's timeline, and each timeline says what
    # happened.
    assert TimelineEvent.objects.filter(case=target, kind=EventKind.NOTE_ADDED).count() == 2
    merged_from = TimelineEvent.objects.get(case=target, kind=EventKind.MERGED_FROM)
    assert source.display_number in merged_from.message
    assert merged_from.note is not None and "Smoke everywhere." in merged_from.note.body
    into = TimelineEvent.objects.get(case=source, kind=EventKind.MERGED_INTO)
    assert target.display_number in into.message
    closed = TimelineEvent.objects.get(case=source, kind=EventKind.STATUS_CHANGED)
    assert (closed.old_value, closed.new_value) == ("new", "closed")
    assert merged_target(source) == target


def test_the_duplicates_contact_joins_the_target_as_a_participant(tenant: Any) -> None:
    account = AccountFactory(tenant=tenant)
    jo = ContactFactory(tenant=tenant, account=account, email="jo@customer.example")
    al = ContactFactory(tenant=tenant, account=account, email="al@customer.example")
    target = _case(tenant, contact_id=jo.pk)
    source = _case(tenant, contact_id=al.pk)
    case_merge(target=target, sources=[source], actor=None, now=NOW)
    assert list(Participant.objects.filter(case=target).values_list("email", flat=True)) == [
        "al@customer.example"]


def test_links_are_repointed_and_those_that_would_clash_dropped(tenant: Any) -> None:
    target, source, other, third = (_case(tenant, subject=f"Case {i}") for i in range(4))
    link_add(case=source, other=target, kind="related_to", actor=None, now=NOW)  # self: drop
    link_add(case=source, other=other, kind="related_to", actor=None, now=NOW)  # duplicate
    link_add(case=target, other=other, kind="related_to", actor=None, now=NOW)
    moved = link_add(case=source, other=third, kind="parent_of", actor=None, now=NOW)
    case_merge(target=target, sources=[source], actor=None, now=NOW)
    rows = {(link.from_case_id, link.to_case_id, link.kind)
            for link in CaseLink.objects.filter(tenant=tenant)}
    assert rows == {(min(target.pk, other.pk), max(target.pk, other.pk), "related_to"),
                    (target.pk, third.pk, "parent_of")}
    assert CaseLink.objects.get(pk=moved.pk).from_case_id == target.pk


def test_several_duplicates_merge_at_once(tenant: Any) -> None:
    target = _case(tenant)
    sources = [_case(tenant, subject=f"Dup {i}") for i in range(3)]
    result = case_merge(target=target, sources=sources, actor=None, now=NOW)
    assert len({r.batch for r in result.records}) == 1 and len(result.records) == 3
    assert set(Case.objects.filter(merged_into=target).values_list("pk", flat=True)) == {
        s.pk for s in sources}


def test_a_case_into_itself_or_no_case_is_invalid(tenant: Any) -> None:
    target = _case(tenant)
    with pytest.raises(Invalid, match="into itself"):
        case_merge(target=target, sources=[target], actor=None, now=NOW)
    with pytest.raises(Invalid, match="at least one"):
        case_merge(target=target, sources=[], actor=None, now=NOW)


def test_refusals_change_nothing(tenant: Any, other_tenant: Any, agent: Any) -> None:
    target, source, third = _case(tenant), _case(tenant), _case(tenant)
    before = _snapshot(tenant)
    with pytest.raises(NotFound):
        case_merge(target=target, sources=[make_case(other_tenant)], actor=None, now=NOW)
    case_merge(target=target, sources=[source], actor=None, now=NOW)
    with pytest.raises(Conflict, match="merged into .* already"):
        case_merge(target=third, sources=[source], actor=None, now=NOW)
    with pytest.raises(Conflict, match="merge into that case instead"):
        case_merge(target=source, sources=[third], actor=None, now=NOW)
    assert _snapshot(tenant)["cases"][2] == before["cases"][2]  # the third is untouched


def test_a_closed_target_is_refused(tenant: Any) -> None:
    target, source = _case(tenant), _case(tenant)
    for to in ("open", "in_progress", "resolved", "closed"):
        case_transition(case=target, actor=None, to=to, note="done", closed_reason="Resolved",
                        now=NOW)
    with pytest.raises(Conflict, match="is closed"):
        case_merge(target=target, sources=[source], actor=None, now=NOW)


def test_cases_of_two_accounts_need_confirmation(tenant: Any) -> None:
    one, two = AccountFactory(tenant=tenant, name="Acme"), AccountFactory(tenant=tenant,
                                                                         name="Globex")
    target, source = _case(tenant, account_id=one.pk), _case(tenant, account_id=two.pk)
    with pytest.raises(Conflict, match="confirm") as refused:
        case_merge(target=target, sources=[source], actor=None, now=NOW)
    assert "Acme" in refused.value.detail and "Globex" in refused.value.detail
    assert _fresh(source).merged_into_id is None
    case_merge(target=target, sources=[source], actor=None, now=NOW,
               confirm_other_account=True)
    assert _fresh(source).merged_into_id == target.pk


def test_a_parent_or_child_of_the_target_is_refused(tenant: Any) -> None:
    target, child = _case(tenant), _case(tenant)
    link_add(case=target, other=child, kind="parent_of", actor=None, now=NOW)
    with pytest.raises(Conflict, match="child of"):
        case_merge(target=target, sources=[child], actor=None, now=NOW)
    with pytest.raises(Conflict, match="parent of"):
        case_merge(target=child, sources=[target], actor=None, now=NOW)


def test_a_duplicate_with_open_referrals_is_refused(tenant: Any, finance: Queue) -> None:
    target, source = _case(tenant), _case(tenant)
    assignment_open(case=source, actor=None, queue=finance, description="Refund?", now=NOW)
    with pytest.raises(Conflict, match="open case assignments"):
        case_merge(target=target, sources=[source], actor=None, now=NOW)


def test_a_merged_case_takes_no_more_changes(tenant: Any, agent: Any) -> None:
    target, source = _case(tenant), _case(tenant)
    case_merge(target=target, sources=[source], actor=None, now=NOW)
    for change in (
        lambda: case_add_note(case=source, actor=agent.user, body="x", is_public=False,
                              now=NOW),
        lambda: case_transition(case=source, actor=None, to="open", now=NOW),
        lambda: case_update(case=source, actor=None, changes={"subject": "New"}, now=NOW),
    ):
        with pytest.raises(Conflict, match=f"merged into {target.display_number}"):
            change()


def test_undo_puts_everything_back_exactly(tenant: Any, agent: Any,
                                           pair: tuple[Case, Case]) -> None:
    target, source = pair
    third = _case(tenant, subject="Other")
    link_add(case=source, other=target, kind="caused_by", actor=None, now=NOW)
    link_add(case=source, other=third, kind="related_to", actor=None, now=NOW)
    before = _snapshot(tenant)
    case_merge(target=target, sources=[source], actor=agent.user, now=NOW + 2 * H)
    assert _snapshot(tenant) != before
    result = case_merge_undo(case=source, actor=agent.user, now=NOW + 3 * H)
    assert [r.source_id for r in result.records] == [source.pk]
    after = _snapshot(tenant)
    for key in ("notes", "files", "people", "links", "pauses", "note_events"):
        assert after[key] == before[key], key
    changed = {k for k, v in after["cases"][0].items() if before["cases"][0][k] != v}
    assert changed == {"updated_at"}  # the target: only when it was last touched
    assert after["cases"][1] == before["cases"][1]  # the duplicate, exactly as it was
    assert CaseMerge.objects.get().undone_at == NOW + 3 * H
    assert TimelineEvent.objects.filter(kind=EventKind.MERGE_UNDONE).count() == 2
    with pytest.raises(Conflict, match="No merge"):
        case_merge_undo(case=source, actor=None, now=NOW + 3 * H)


def test_undo_from_the_target_takes_back_all_its_latest_merge(tenant: Any) -> None:
    target = _case(tenant)
    sources = [_case(tenant), _case(tenant)]
    case_merge(target=target, sources=sources, actor=None, now=NOW)
    case_merge_undo(case=target, actor=None, now=NOW + H)
    assert not Case.objects.filter(merged_into__isnull=False).exists()
    assert all(_fresh(s).status == "new" for s in sources)


def test_undo_after_a_day_is_refused(tenant: Any) -> None:
    target, source = _case(tenant), _case(tenant)
    case_merge(target=target, sources=[source], actor=None, now=NOW)
    with pytest.raises(Conflict, match="more than 24 hours"):
        case_merge_undo(case=target, actor=None, now=NOW + 25 * H)
    assert _fresh(source).merged_into_id == target.pk


def test_undo_after_something_was_added_is_refused(tenant: Any, agent: Any) -> None:
    target, source = _case(tenant), _case(tenant)
    case_merge(target=target, sources=[source], actor=None, now=NOW)
    case_add_note(case=target, actor=agent.user, body="Later", is_public=False, now=NOW + H)
    with pytest.raises(Conflict, match="a note was added since the merge"):
        case_merge_undo(case=source, actor=None, now=NOW + 2 * H)
    assert _fresh(source).merged_into_id == target.pk


def test_an_earlier_merge_cannot_be_undone_past_a_later_one(tenant: Any) -> None:
    target, first, second = _case(tenant), _case(tenant), _case(tenant)
    case_merge(target=target, sources=[first], actor=None, now=NOW)
    case_merge(target=target, sources=[second], actor=None, now=NOW + H)
    with pytest.raises(Conflict, match="since the merge"):
        case_merge_undo(case=first, actor=None, now=NOW + 2 * H)
    case_merge_undo(case=target, actor=None, now=NOW + 2 * H)  # the latest: second
    assert _fresh(second).merged_into_id is None and _fresh(first).merged_into_id == target.pk


def test_a_merged_case_counts_as_neither_resolved_nor_in_sla_figures(tenant: Any) -> None:
    target, source = _case(tenant), _case(tenant)
    for to in ("open", "in_progress", "resolved"):
        case_transition(case=source, actor=None, to=to, note="done", now=NOW)
    assert _fresh(source).sla_policy_id is not None
    case_merge(target=target, sources=[source], actor=None, now=NOW + H)
    facts_rebuild(tenant)
    fact = CaseFact.objects.get(case_id=source.pk)
    assert fact.resolved_at is None and fact.resolution_seconds is None
    assert fact.first_response_outcome == "" and fact.resolution_outcome == ""
    case_merge_undo(case=source, actor=None, now=NOW + 2 * H)
    facts_rebuild(tenant)
    assert CaseFact.objects.get(case_id=source.pk).resolved_at is not None

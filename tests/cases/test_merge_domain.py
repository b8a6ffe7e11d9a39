"""The merge's pure decisions: refusals, how a link is re-pointed, when an undo is refused."""

from datetime import UTC, datetime, timedelta

from casedesk.cases.merge import (
    LinkEnds,
    MergeSide,
    merge_refusal,
    repointed,
    state_restored,
    state_snapshot,
    undo_refusal,
)
from casedesk.core.errors import Conflict, Invalid

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TARGET = MergeSide(id=1, number="CS-1", status="open", account_id=7, account_name="Acme")


def _side(**values: object) -> MergeSide:
    fields: dict[str, object] = {"id": 2, "number": "CS-2", "status": "new"}
    fields.update(values)
    return MergeSide(**fields)  # type: ignore[arg-type]


def _refusal(*sources: MergeSide, target: MergeSide = TARGET, confirm: bool = False,
             family: dict[int, str] | None = None) -> object:
    return merge_refusal(target, list(sources), confirm_other_account=confirm,
                         family=family or {})


def test_a_plain_duplicate_may_merge() -> None:
    assert _refusal(_side()) is None
    assert _refusal(_side(account_id=None)) is None  # no account: merges freely
    assert _refusal(_side(account_id=7)) is None


def test_invalid_requests() -> None:
    assert isinstance(_refusal(), Invalid)
    assert isinstance(_refusal(_side(id=1, number="CS-1")), Invalid)
    assert isinstance(_refusal(*[_side(id=i) for i in range(2, 30)]), Invalid)


def test_conflicts_name_the_cases() -> None:
    merged_target = MergeSide(id=1, number="CS-1", status="closed", merged_into="CS-9")
    refused = _refusal(_side(), target=merged_target)
    assert isinstance(refused, Conflict) and "CS-9" in refused.detail
    closed = _refusal(_side(), target=MergeSide(id=1, number="CS-1", status="closed"))
    assert isinstance(closed, Conflict) and "closed" in closed.detail
    again = _refusal(_side(merged_into="CS-5"))
    assert isinstance(again, Conflict) and "CS-5 already" in again.detail
    busy = _refusal(_side(open_assignments=1))
    assert isinstance(busy, Conflict) and "assignments" in busy.detail
    child = _refusal(_side(), family={2: "child"})
    assert isinstance(child, Conflict) and "child of CS-1" in child.detail


def test_other_accounts_need_confirmation() -> None:
    refused = _refusal(_side(account_id=8, account_name="Globex"))
    assert isinstance(refused, Conflict) and "Globex" in refused.detail
    assert _refusal(_side(account_id=8), confirm=True) is None


def test_a_link_is_repointed_from_the_duplicate_to_the_target() -> None:
    assert repointed(LinkEnds(2, 5, "parent_of"), source_id=2, target_id=1) == LinkEnds(
        1, 5, "parent_of")
    assert repointed(LinkEnds(5, 2, "caused_by"), source_id=2, target_id=9) == LinkEnds(
        5, 9, "caused_by")
    # A symmetric link keeps the lower id first.
    assert repointed(LinkEnds(2, 5, "related_to"), source_id=2, target_id=9) == LinkEnds(
        5, 9, "related_to")
    assert repointed(LinkEnds(1, 2, "related_to"), source_id=2, target_id=1) is None


def test_undo_refusals() -> None:
    assert undo_refusal(merged_at=NOW, now=NOW + timedelta(hours=23), undone=False,
                        addition=None) is None
    assert "24 hours" in (undo_refusal(merged_at=NOW, now=NOW + timedelta(hours=25),
                                       undone=False, addition=None) or "")
    assert "undone already" in (undo_refusal(merged_at=NOW, now=NOW, undone=True,
                                             addition=None) or "")
    said = undo_refusal(merged_at=NOW, now=NOW, undone=False, addition="CS-1: a note was added")
    assert said == "CS-1: a note was added since the merge, so it can no longer be undone."


def test_the_state_snapshot_round_trips() -> None:
    state = {"status": "open", "closed_at": None, "resolved_at": NOW, "sla_policy_id": 3}
    assert state_restored(state_snapshot(state)) == state

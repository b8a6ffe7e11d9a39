"""Similar cases: the planted near duplicates of the synthetic history are found, resolved
cases come first, another tenant's cases never appear, and the worker's job keeps the index
current for new and edited cases."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from casedesk.assist import similar
from casedesk.assist.models import SimilarDirty, SimilarSignature
from casedesk.assist.similar import similar_cases, similar_index_due, similar_rebuild
from casedesk.assist.synthetic import HistoryReport, history_write
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.hooks import cases_touched
from casedesk.cases.models import Case
from casedesk.cases.services import case_update
from casedesk.ops import schedule
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW

PAIRS = 40
# The floor stated in the README: the planted twin is among the five shown for at least
# this share of the pairs, and first for FIRST_FLOOR (measured with seed 18: 40 of 40 in
# the five, 39 first; with 150 pairs among 3,000 cases: all 150 first).
TOP5_FLOOR = 0.95
FIRST_FLOOR = 0.9


@pytest.fixture
def history(tenant: Tenant, admin: Membership) -> HistoryReport:
    report = history_write(tenant, n=600, seed=18, now=NOW - timedelta(days=1), duplicates=PAIRS)
    similar_rebuild(tenant, NOW)
    return report


def test_scoring_is_pure_and_normalised() -> None:
    vector = similar.signature({1: 2.0, 2: 1.0, 3: 1.0}, {1: 0, 2: 50, 3: 99}, 100)
    assert list(vector) == [1, 2, 3]  # the rare subject word weighs most
    assert abs(sum(w * w for w in vector.values()) - 1.0) < 1e-9
    assert similar.cosine(vector, vector) == pytest.approx(1.0)
    assert similar.term_hash("invoic") == similar.term_hash("invoic")


def test_resolved_cases_come_before_open_ones_and_weak_ones_are_dropped() -> None:
    found = [(0.9, "open", 1), (0.5, "closed", 2), (0.6, "resolved", 3), (0.1, "closed", 4)]
    assert similar.order_found(found, 5) == [(0.6, 3), (0.5, 2), (0.9, 1)]
    assert similar.order_found(found, 1) == [(0.6, 3)]


def test_planted_twins_are_found(tenant: Tenant, history: HistoryReport) -> None:
    assert len(history.duplicates) == PAIRS
    top5 = first = 0
    for earlier, later in history.duplicates:
        case = Case.objects.get(pk=later)
        found = [s.case_id for s in similar_cases(tenant, case)]
        top5 += earlier in found
        first += bool(found) and found[0] == earlier
    assert top5 >= TOP5_FLOOR * PAIRS, (top5, first)
    assert first >= FIRST_FLOOR * PAIRS, (top5, first)


def test_answers_are_earlier_resolved_first_with_their_resolution(
    tenant: Tenant, history: HistoryReport
) -> None:
    later = Case.objects.get(pk=history.duplicates[0][1])
    found = similar_cases(tenant, later)
    assert found and len(found) <= 5
    assert later.pk not in {s.case_id for s in found}
    cases = Case.objects.in_bulk([s.case_id for s in found])
    assert all(cases[s.case_id].created_at <= later.created_at for s in found)
    opened = [s.status in {"resolved", "closed"} for s in found]
    assert opened == sorted(opened, reverse=True)  # no resolved one after an open one
    for s in found:
        assert s.number == f"{tenant.case_prefix}-{cases[s.case_id].number}"
        assert 0 < s.score <= 1
        if s.status in {"resolved", "closed"}:
            assert s.resolution == cases[s.case_id].closure_note.strip()
            assert s.resolution_source == "closure_note"


def test_limit_is_bounded(tenant: Tenant, history: HistoryReport) -> None:
    case = Case.objects.get(pk=history.duplicates[1][1])
    assert len(similar_cases(tenant, case, limit=1)) == 1
    assert len(similar_cases(tenant, case, limit=500)) <= similar.MAX_LIMIT


def test_merged_cases_never_appear(tenant: Tenant, history: HistoryReport) -> None:
    earlier, later = history.duplicates[2]
    other = Case.objects.get(pk=history.duplicates[3][0])
    Case.objects.filter(pk=earlier).update(merged_into=other)
    found = similar_cases(tenant, Case.objects.get(pk=later))
    assert earlier not in {s.case_id for s in found}


def test_another_tenants_cases_never_appear(
    tenant: Tenant, other_tenant: Tenant, history: HistoryReport, admin: Membership
) -> None:
    # The other tenant gets the very same texts (same seed): perfect twins, all invisible.
    theirs = history_write(other_tenant, n=200, seed=18, now=NOW - timedelta(days=1), duplicates=10)
    similar_rebuild(other_tenant, NOW)
    mine = set(Case.objects.filter(tenant=tenant).values_list("pk", flat=True))
    for _, later in history.duplicates[:10]:
        found = similar_cases(tenant, Case.objects.get(pk=later))
        assert {s.case_id for s in found} <= mine
    for _, later in theirs.duplicates[:5]:
        case = Case.objects.get(pk=later)
        assert similar_cases(tenant, case) == []  # a case of another tenant gets nothing
        assert {s.case_id for s in similar_cases(other_tenant, case)}.isdisjoint(mine)


def _create(tenant: Tenant, admin: Membership, subject: str, description: str) -> Case:
    case, _ = case_create(
        tenant=tenant,
        actor=admin.user,
        now=NOW,
        data=CaseInput(subject=subject, description=description),
    )
    return case


def test_a_new_and_an_edited_case_are_indexed_by_the_worker(
    tenant: Tenant, admin: Membership, history: HistoryReport
) -> None:
    earlier = Case.objects.get(pk=history.duplicates[4][0])
    new = _create(tenant, admin, earlier.subject, earlier.description)
    assert SimilarDirty.objects.filter(case=new).exists()
    # Not yet indexed, it still gets answers, computed from its own text.
    assert earlier.pk in {s.case_id for s in similar_cases(tenant, new)}
    lines = list(similar_index_due(NOW))
    assert lines and not SimilarDirty.objects.exists()
    assert SimilarSignature.objects.filter(case=new).exists()
    # Indexed, a later copy of it finds it (after the resolved ones: it is still open).
    again = _create(tenant, admin, earlier.subject, earlier.description)
    found = similar_cases(tenant, again, limit=similar.MAX_LIMIT)
    assert new.pk in {s.case_id for s in found}
    assert next(s for s in found if s.case_id == new.pk).score == pytest.approx(1.0)

    # An edit gives it another text: the worker indexes it again, and what it is like changes.
    other = Case.objects.get(pk=history.duplicates[5][0])
    before = SimilarSignature.objects.get(case=new).digest
    case_update(
        case=new,
        actor=admin.user,
        now=NOW + timedelta(minutes=1),
        changes={"subject": other.subject, "description": other.description},
    )
    assert SimilarDirty.objects.filter(case=new).exists()
    list(similar_index_due(NOW + timedelta(minutes=1)))
    assert SimilarSignature.objects.get(case=new).digest != before
    # Open, it may stand behind many resolved cases on the page: the index is asked directly.
    assert new.pk in similar._candidates(tenant.pk, similar.query_vector(other))
    assert new.pk not in similar._candidates(tenant.pk, similar.query_vector(earlier))


def test_the_job_is_bounded_and_skips_unchanged_text(
    tenant: Tenant, admin: Membership, history: HistoryReport
) -> None:
    made = [_create(tenant, admin, f"Printer PX-{k} jams", "It jams.") for k in range(5)]
    assert list(similar_index_due(NOW, limit=2))
    assert SimilarDirty.objects.count() == 3
    list(similar_index_due(NOW))
    # Marked again without a text change: the signature is left as it was.
    SimilarDirty.objects.create(case=made[0], tenant=tenant, marked_at=NOW)
    indexed_at = SimilarSignature.objects.get(case=made[0]).indexed_at
    assert list(similar_index_due(NOW + timedelta(hours=1))) == []
    assert SimilarSignature.objects.get(case=made[0]).indexed_at == indexed_at
    assert not SimilarDirty.objects.exists()


def test_rebuild_counts_every_case(tenant: Tenant, history: HistoryReport) -> None:
    report: Any = similar_rebuild(tenant, NOW)
    assert report.cases == Case.objects.filter(tenant=tenant).count()
    assert SimilarSignature.objects.filter(tenant=tenant).count() == report.cases


def test_a_change_without_a_timeline_event_is_indexed_too(
    tenant: Tenant, history: HistoryReport
) -> None:
    # An erasure's redaction or a renamed category changes cases set-based and says so
    # through `cases_touched`; the worker indexes the new text.
    earlier, later = history.duplicates[6]
    Case.objects.filter(pk=earlier).update(subject="Redacted", description="Redacted")
    cases_touched(tenant.pk, [earlier])
    list(similar_index_due(NOW))
    assert earlier not in {s.case_id for s in similar_cases(tenant, Case.objects.get(pk=later))}


def test_an_imported_history_is_marked_for_the_worker(tenant: Tenant, admin: Membership) -> None:
    report = history_write(tenant, n=30, seed=4, now=NOW - timedelta(days=1))
    assert set(SimilarDirty.objects.values_list("case_id", flat=True)) == set(report.case_ids)
    list(similar_index_due(NOW))
    assert SimilarSignature.objects.filter(tenant=tenant).count() == 30


def test_the_command_builds_then_catches_up(tenant: Tenant, admin: Membership) -> None:
    history_write(tenant, n=50, seed=3, now=NOW - timedelta(days=1))
    out = StringIO()
    call_command("similar_index", "--tenant", tenant.slug, stdout=out)
    assert "Indexed 50 case(s)" in out.getvalue()
    SimilarSignature.objects.filter(tenant=tenant).order_by("pk")[:1].get().delete()
    out = StringIO()
    call_command("similar_index", "--tenant", tenant.slug, stdout=out)
    assert "Indexed 1 case(s) that had no signature" in out.getvalue()
    call_command("similar_index", "--tenant", tenant.slug, "--rebuild", stdout=StringIO())
    assert SimilarSignature.objects.filter(tenant=tenant).count() == 50
    with pytest.raises(CommandError):
        call_command("similar_index", "--tenant", "nobody", stdout=StringIO())


def test_the_worker_runs_the_job() -> None:
    assert "similar-index" in {job.name for job in schedule.jobs()}

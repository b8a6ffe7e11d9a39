"""The synthetic history: numbered like real cases, resolved ones with resolution notes and
public replies, planted duplicates later than their originals, missing picklist values
added, and the same seed giving the same history."""

from datetime import timedelta

from casedesk.assist.synthetic import HISTORY_DAYS, history_write
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, EventKind, Note, PicklistKind, PicklistValue, TimelineEvent
from casedesk.cases.picklists import Picklists
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW


def test_history_is_written_like_real_cases(tenant: Tenant, admin: Membership) -> None:
    PicklistValue.objects.filter(tenant=tenant, value="Refund").delete()
    report = history_write(tenant, n=300, seed=2, now=NOW, duplicates=5)
    cases = list(Case.objects.filter(tenant=tenant).order_by("number"))
    assert report.cases == len(cases) == 305
    assert [c.pk for c in cases] == report.case_ids
    assert [c.number for c in cases] == list(range(cases[0].number, cases[0].number + 305))
    assert all(a.created_at <= b.created_at for a, b in zip(cases, cases[1:], strict=False))
    assert all(NOW - timedelta(days=HISTORY_DAYS + 1) <= c.created_at <= NOW for c in cases)
    done = [c for c in cases if c.status in (Status.RESOLVED, Status.CLOSED)]
    assert report.resolved == len(done) and report.open == 305 - len(done) > 0
    assert all(c.closure_note and c.closed_reason == "Resolved" and c.resolved_at for c in done)
    assert {c.queue.name for c in cases if c.queue} == {"Support", "Finance", "Engineering"}
    notes = Note.objects.filter(tenant=tenant)
    assert notes.count() == report.notes and not notes.filter(is_public=False).exists()
    assert all(notes.filter(case=c).exists() for c in done)
    created = TimelineEvent.objects.filter(tenant=tenant, kind=EventKind.CREATED)
    assert created.count() == 305
    lists = Picklists(tenant)
    for case in cases:
        lists.check(PicklistKind.CATEGORY, case.category)
        lists.check(PicklistKind.SUBCATEGORY, case.subcategory, parent=case.category)
        lists.check(PicklistKind.TYPE, case.type)
    assert len(report.duplicates) == 5
    by_id = {c.pk: c for c in cases}
    for earlier, later in report.duplicates:
        assert by_id[earlier].created_at < by_id[later].created_at
        assert by_id[earlier].category == by_id[later].category


def test_the_same_seed_writes_the_same_history(
    tenant: Tenant, other_tenant: Tenant, admin: Membership
) -> None:
    history_write(tenant, n=50, seed=4, now=NOW)
    history_write(other_tenant, n=50, seed=4, now=NOW)

    def texts(t: Tenant) -> list[tuple[str, str, str, int]]:
        rows = Case.objects.filter(tenant=t).order_by("number")
        return list(rows.values_list("subject", "description", "category", "priority"))

    assert texts(tenant) == texts(other_tenant)

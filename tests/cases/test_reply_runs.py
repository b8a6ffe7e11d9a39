"""Customers' replies filed one after another in one transaction, as batch mail files them
(`case_change_run`, `LockedCases`): each reply is its own change, the marks written once per
transaction are written once for the run, and a case the run holds is read again as soon as
anything else changed it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.assist.models import SimilarDirty
from casedesk.cases.changes import case_change_run, in_case_change
from casedesk.cases.merge import case_merge
from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.cases.services import (
    CustomerMessage,
    LockedCases,
    case_customer_reply,
    case_transition,
)
from casedesk.core.errors import Conflict
from casedesk.reports.models import FactStale
from tests.conftest import NOW
from tests.factories import make_case

H = timedelta(hours=1)


def reply(case: Case, locked: LockedCases | None, body: str = "Any news?",
          now=NOW + H) -> Case:
    done, _ = case_customer_reply(case=case, message=CustomerMessage(
        body=body, author_email="jo@customer.test"), now=now, locked=locked)
    return done


def walk(case: Case, *targets: str) -> Case:
    for to in targets:
        case = case_transition(case=case, actor=None, to=to, note="n", closed_reason="Resolved",
                               now=NOW)
    return case


def moves(case: Case) -> list[tuple[str, str]]:
    return list(TimelineEvent.objects.filter(case=case, kind=EventKind.STATUS_CHANGED)
                .order_by("pk").values_list("old_value", "new_value"))


def unmark(tenant) -> None:
    FactStale.objects.filter(tenant=tenant).delete()
    SimilarDirty.objects.filter(tenant=tenant).delete()


def test_a_run_writes_the_marks_for_reports_once(tenant) -> None:
    a, b = make_case(tenant), make_case(tenant)
    unmark(tenant)
    with CaptureQueriesContext(connection) as run, case_change_run():
        assert in_case_change()
        locked = LockedCases(tenant, [a.pk, b.pk])
        for case in (a, b, a):
            reply(case, locked)
    assert not in_case_change()
    assert len([q for q in run.captured_queries if "reports_factstale" in q["sql"]]) == 1
    assert set(FactStale.objects.filter(tenant=tenant).values_list("case_id", flat=True)) == {
        a.pk, b.pk}
    assert set(SimilarDirty.objects.filter(tenant=tenant).values_list("case_id", flat=True)
               ) == {a.pk, b.pk}
    assert Note.objects.filter(case__in=[a, b]).count() == 3


def test_a_refused_reply_in_a_run_keeps_what_the_others_did(tenant) -> None:
    a = make_case(tenant)
    closed = walk(make_case(tenant), "open", "in_progress", "resolved", "closed")
    unmark(tenant)
    late = NOW + 7 * H  # past the 6-hour reopen window
    with case_change_run():
        locked = LockedCases(tenant, [a.pk, closed.pk])
        reply(a, locked, now=late)
        with pytest.raises(Conflict):
            reply(closed, locked, now=late)
        reply(a, locked, body="Again.", now=late)
    assert FactStale.objects.filter(tenant=tenant, case=a).exists()
    assert Note.objects.filter(case=a).count() == 2
    assert not Note.objects.filter(case=closed, author_email="jo@customer.test").exists()


def test_a_run_that_fails_leaves_nothing(tenant) -> None:
    a = make_case(tenant)
    unmark(tenant)
    with pytest.raises(RuntimeError), case_change_run():
        reply(a, LockedCases(tenant, [a.pk]))
        raise RuntimeError("the run broke")
    assert not Note.objects.filter(case=a).exists()
    assert not FactStale.objects.filter(tenant=tenant).exists()
    assert not in_case_change()


def test_a_held_case_is_read_again_once_another_change_ran(tenant) -> None:
    waiting = walk(make_case(tenant), "open", "in_progress", "pending_customer")
    with case_change_run():
        locked = LockedCases(tenant, [waiting.pk])
        # An agent's change between the run's lock and the reply (in a run: a rule's).
        case_transition(case=waiting, actor=None, to="in_progress", now=NOW + H)
        done = reply(waiting, locked)
    # The reply found the case in progress: it moved nothing (a stale copy would have
    # moved it from waiting a second time).
    assert done.status == "in_progress"
    assert moves(waiting)[-2:] == [("in_progress", "pending_customer"),
                                   ("pending_customer", "in_progress")]


def test_replies_on_one_case_in_a_run_follow_each_other(tenant) -> None:
    waiting = walk(make_case(tenant), "open", "in_progress", "pending_customer")
    with CaptureQueriesContext(connection) as run, case_change_run():
        locked = LockedCases(tenant, [waiting.pk])
        first = reply(waiting, locked)
        second = reply(waiting, locked, body="And more.")
    assert first.status == second.status == "in_progress"
    assert moves(waiting)[-1] == ("pending_customer", "in_progress")
    assert Case.objects.get(pk=waiting.pk).status == "in_progress"
    # One locking read for the run: the second reply took the case as the first left it.
    assert len([q for q in run.captured_queries if "FOR UPDATE" in q["sql"]]) <= 1


def test_a_case_merged_away_is_refused_in_a_run(tenant) -> None:
    target, duplicate = make_case(tenant), make_case(tenant)
    case_merge(target=target, sources=[duplicate], actor=None, now=NOW)
    with case_change_run():
        locked = LockedCases(tenant, [duplicate.pk])
        with pytest.raises(Conflict, match="merged into"):
            reply(duplicate, locked)

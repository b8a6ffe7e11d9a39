"""What the clocks say, for pages and the API."""

from datetime import timedelta

from casedesk.cases.lifecycle import is_done
from casedesk.cases.models import Case
from casedesk.cases.services import case_add_note, case_transition
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.sla.models import SlaPolicy
from casedesk.sla.readings import (
    BREACHED,
    MET,
    NONE,
    PAUSED,
    RUNNING,
    WARNING,
    breached_filter,
    breaching_within_filter,
    clocks_of,
)
from tests.conftest import NOW
from tests.factories import make_case

H = timedelta(hours=1)


def states(case, now) -> list[str]:
    return [c.state for c in clocks_of(case, now, done=is_done(case.status))]


def test_a_clock_runs_warns_and_breaches(tenant) -> None:
    case = make_case(tenant, now=NOW)  # normal: 8 h first response, 24 h resolution
    assert states(case, NOW + H) == [RUNNING, RUNNING]
    assert clocks_of(case, NOW + H, done=is_done(case.status))[0].remaining == 7 * H
    assert states(case, NOW + 7 * H) == [WARNING, RUNNING]
    assert states(case, NOW + 9 * H) == [BREACHED, RUNNING]  # overdue before any sweep
    assert clocks_of(case, NOW + 9 * H, done=is_done(case.status))[0].remaining == -H


def test_met_paused_and_stopped(tenant, agent) -> None:
    case = make_case(tenant, now=NOW, owner_id=agent.user_id)
    case_add_note(case=case, actor=agent.user, body="Hello", is_public=True, now=NOW + H)
    case = Case.objects.get(pk=case.pk)
    assert states(case, NOW + 2 * H) == [MET, RUNNING]
    for to in ("open", "in_progress", "pending_customer"):
        case = case_transition(case=case, actor=None, to=to, note="n", now=NOW + 2 * H)
    assert states(case, NOW + 3 * H) == [MET, PAUSED]
    case = case_transition(case=case, actor=None, to="resolved", note="n", now=NOW + 3 * H)
    assert states(case, NOW + 4 * H) == [MET, MET]  # resolved well before it was due


def test_no_policy_no_clock(tenant) -> None:
    SlaPolicy.objects.filter(tenant=tenant).delete()
    assert states(make_case(tenant, now=NOW), NOW) == [NONE, NONE]


def test_list_filters(tenant) -> None:
    soon = make_case(tenant, now=NOW)
    late = make_case(tenant, now=NOW + 24 * H)  # Tuesday 9:00, due Tuesday 17:00
    sla_sweep(now=NOW + 9 * H)
    cases = Case.objects.filter(tenant=tenant)
    assert list(cases.filter(breached_filter())) == [soon]
    # late's first response is due Tuesday 17:00, soon's resolution Wednesday 17:00.
    assert list(cases.filter(breaching_within_filter(NOW + 9 * H, 24))) == [late]
    within = cases.filter(breaching_within_filter(NOW + 9 * H, 48)).order_by("pk")
    assert list(within) == [soon, late]
    assert list(cases.filter(breaching_within_filter(NOW + 9 * H, 1))) == []

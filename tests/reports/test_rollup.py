"""The rollup agrees with a from-scratch recomputation after any sequence of case changes,
refreshed at any points in between (hypothesis), and the refresh job's mechanics."""

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casedesk.cases.lifecycle import ALLOWED_MOVES, Status
from casedesk.cases.models import Case
from casedesk.cases.ownership import case_claim
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.cases.sla_clocks import recompute_open_clocks_now
from casedesk.cases.sla_sweep import sla_sweep
from casedesk.core.errors import DomainError
from casedesk.crm.models import Contact
from casedesk.csat.config import csat_settings
from casedesk.csat.models import Survey
from casedesk.csat.services import survey_answer, survey_send
from casedesk.reports.models import CaseFact, FactStale
from casedesk.reports.rollup import facts_check, facts_rebuild, facts_refresh
from tests.factories import ContactFactory, make_case

START = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
OPS = ("create", "claim", "reply", "note", "move", "update", "sweep", "refresh", "csat",
       "recompute")
steps = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 7), st.integers(1, 600)),
                 min_size=1, max_size=40)


def _apply(op: str, pick: int, now: datetime, tenant, agent, contact) -> None:
    cases = list(Case.objects.filter(tenant=tenant).order_by("pk"))
    if op == "create" or not cases:
        make_case(tenant, now=now, contact_id=contact.pk, priority=1 + pick % 4,
                  category=("Billing", "Bug", "")[pick % 3])
        return
    case = cases[pick % len(cases)]
    if op == "claim":
        case_claim(case=case, membership=agent, now=now)
    elif op == "reply":
        case_add_note(case=case, actor=agent.user, body="Looking.", is_public=True, now=now)
    elif op == "note":
        case_add_note(case=case, actor=agent.user, body="Hm.", is_public=False, now=now)
    elif op == "move":
        moves = ALLOWED_MOVES[Status(case.status)]
        case_transition(case=case, actor=agent.user, to=moves[pick % len(moves)].value,
                        now=now, note="Step.", closed_reason="Resolved")
    elif op == "update":
        case_update(case=case, actor=agent.user, now=now, changes={
            "priority": 1 + pick % 4, "category": ("Billing", "Bug", "Question")[pick % 3]})
    elif op == "sweep":
        sla_sweep(now=now, tenant=tenant)
    elif op == "refresh":
        facts_refresh(batch=1 + pick)
    elif op == "csat" and case.status in ("resolved", "closed") \
            and not Survey.objects.filter(case=case).exists():
        survey = survey_send(case=case, config=csat_settings(tenant), now=now)
        if survey is not None:
            survey_answer(survey_id=survey.pk, rating=1 + pick % 5, now=now)
    elif op == "recompute":
        recompute_open_clocks_now(tenant.pk, now)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=steps)
def test_refreshed_facts_equal_a_recomputation(tenant, agent_in_support, sequence) -> None:
    Case.objects.filter(tenant=tenant).delete()
    contact = (Contact.objects.filter(tenant=tenant, email="pat@customer.test").first()
               or ContactFactory(tenant=tenant, email="pat@customer.test"))
    now = START
    for op, pick, minutes in sequence:
        now += timedelta(minutes=minutes)
        with contextlib.suppress(DomainError):  # a refused change changes nothing
            _apply(op, pick, now, tenant, agent_in_support, contact)
    facts_refresh()
    assert facts_check(tenant) == []
    assert not FactStale.objects.filter(tenant=tenant).exists()


def test_a_change_marks_its_case_stale_in_its_transaction(tenant, agent_in_support) -> None:
    case = make_case(tenant, now=START)
    assert FactStale.objects.filter(case=case).exists()
    facts_refresh()
    assert not FactStale.objects.filter(case=case).exists()
    case_add_note(case=case, actor=agent_in_support.user, body="Hi", is_public=True,
                  now=START + timedelta(minutes=5))
    assert FactStale.objects.filter(case=case).exists()
    assert CaseFact.objects.get(case=case).first_response_at is None  # not refreshed yet
    facts_refresh()
    assert CaseFact.objects.get(case=case).frt_seconds == 300


def test_a_refresh_limit_leaves_the_rest_for_later(tenant) -> None:
    for n in range(5):
        make_case(tenant, now=START + timedelta(minutes=n))
    assert facts_refresh(batch=2, limit=3) == 3
    assert FactStale.objects.filter(tenant=tenant).count() == 2
    assert facts_refresh() == 2


def test_a_deleted_case_takes_its_facts_with_it(tenant) -> None:
    case = make_case(tenant, now=START)
    facts_refresh()
    case.delete()
    assert not CaseFact.objects.filter(case_id=case.pk).exists()
    assert facts_check(tenant) == []


def test_rebuild_and_the_command(tenant, other_tenant, capsys) -> None:
    make_case(tenant, now=START)
    make_case(other_tenant, now=START)
    facts_refresh()
    CaseFact.objects.filter(tenant=tenant).update(frt_seconds=12345)
    assert [d.field for d in facts_check(tenant)] == ["frt_seconds"]
    with pytest.raises(CommandError, match="1 difference"):
        call_command("reports_rebuild", "--check")
    assert "frt_seconds" in capsys.readouterr().out
    call_command("reports_rebuild", "--tenant", tenant.slug)
    assert facts_check(tenant) == []
    assert facts_rebuild(other_tenant) == 1
    call_command("reports_rebuild", "--check")
    with pytest.raises(CommandError, match="No tenant"):
        call_command("reports_rebuild", "--tenant", "nobody")

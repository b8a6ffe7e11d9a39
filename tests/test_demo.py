"""`casedesk demo`: a realistic tenant whose every case has a true timeline; idempotent and
confined to its own tenant."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from casedesk.cases.lifecycle import ALLOWED_MOVES, Status
from casedesk.cases.models import (
    AssignmentStatus,
    Case,
    CaseAssignment,
    EventKind,
    Note,
    TimelineEvent,
)
from casedesk.cases.picklists import (
    DEFAULT_CATEGORIES,
    DEFAULT_CLOSED_REASONS,
    DEFAULT_TYPES,
    INTERNAL_REFERRAL,
)
from casedesk.crm.models import Account, Contact, Deal
from casedesk.demo.builder import DEMO_SLUG, DemoResult, demo_build
from casedesk.demo.plan import plan_cases
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Role, Tenant, User
from tests.factories import make_case

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# Enough cases for every status and for referrals, yet a fast test.
SMALL = 40


def build(cases: int = SMALL, now: datetime = NOW) -> DemoResult:
    return demo_build(now=now, cases=cases)


def counts(tenant: Tenant) -> dict[str, int]:
    return {model.__name__: model.objects.filter(tenant=tenant).count()
            for model in (Case, TimelineEvent, Note, CaseAssignment, Account, Contact, Deal,
                          Queue, Membership)} | {"User": User.objects.count()}


@pytest.fixture
def demo(db: Any) -> DemoResult:
    return build()


def test_demo_has_the_staff_teams_and_customers(demo: DemoResult) -> None:
    tenant = demo.tenant
    assert (tenant.slug, tenant.name) == (DEMO_SLUG, "Demo Support Co")
    members = list(Membership.objects.filter(tenant=tenant).select_related("manager"))
    assert Counter(m.role for m in members) == {Role.ADMIN: 1, Role.MANAGER: 2, Role.AGENT: 8}
    for agent in (m for m in members if m.role == Role.AGENT):
        assert agent.manager is not None and agent.manager.role == Role.MANAGER
        assert agent.skills and agent.territory in {"EMEA", "AMER", "APAC"}
        assert agent.capacity > 0
    queues = {q.name: q for q in Queue.objects.filter(tenant=tenant)}
    assert set(queues) == {"Support", "Finance", "Engineering"}
    for queue in queues.values():
        team = list(queue.members.all())
        assert sum(m.role == Role.AGENT for m in team) >= 2
        assert sum(m.role == Role.MANAGER for m in team) == 1

    accounts = list(Account.objects.filter(tenant=tenant))
    assert len(accounts) == 40
    assert {a.tier for a in accounts} == {"Enterprise", "Business", "Starter"}
    assert {a.territory for a in accounts} == {"EMEA", "AMER", "APAC"}
    assert len({a.domain for a in accounts}) == 40
    contacts = list(Contact.objects.filter(tenant=tenant).select_related("account"))
    assert len(contacts) == 150
    assert all(c.account and c.email.endswith("@" + c.account.domain) for c in contacts)
    assert len({c.account_id for c in contacts}) == 40
    assert Deal.objects.filter(tenant=tenant).count() >= 5
    assert (demo.people, demo.queues, demo.accounts, demo.contacts) == (11, 3, 40, 150)


def test_demo_cases_use_the_tenant_picklists(demo: DemoResult) -> None:
    cases = list(Case.objects.filter(tenant=demo.tenant))
    assert len(cases) == SMALL == demo.cases == demo.cases_created
    assert {c.status for c in cases} == {s.value for s in Status}
    for case in cases:
        assert case.type in DEFAULT_TYPES
        assert case.subcategory in DEFAULT_CATEGORIES[case.category]
        assert case.subject and "{" not in case.subject and "{" not in case.description
        assert case.account_id and case.contact_id and case.queue_id and case.tags
        assert case.created_at >= NOW - timedelta(days=91)
    assert [c.number for c in sorted(cases, key=lambda c: c.created_at)] == list(
        range(1, SMALL + 1)), "numbers rise with creation time"


def test_every_timeline_tells_how_the_case_got_its_status(demo: DemoResult) -> None:
    events = defaultdict(list)
    for event in TimelineEvent.objects.filter(tenant=demo.tenant).select_related("note"):
        events[event.case_id].append(event)
    open_assignments = Counter(CaseAssignment.objects.filter(
        tenant=demo.tenant, status=AssignmentStatus.OPEN).values_list("case_id", flat=True))
    for case in Case.objects.filter(tenant=demo.tenant):
        timeline = events[case.pk]
        assert timeline[0].kind == EventKind.CREATED
        times = [e.created_at for e in timeline]
        assert times == sorted(times) and case.created_at == times[0] and times[-1] <= NOW
        status = Status.NEW
        for move in (e for e in timeline if e.kind == EventKind.STATUS_CHANGED):
            assert move.old_value == status.value
            status = Status(move.new_value)
            assert status in ALLOWED_MOVES[Status(move.old_value)]
            if status in (Status.RESOLVED, Status.CLOSED):
                assert move.note is not None and move.note.body
        assert status == case.status, case.number
        kinds = {e.kind for e in timeline}
        if case.status == Status.NEW:
            assert case.owner_id is None and kinds == {EventKind.CREATED}
        else:
            assert case.owner_id is not None and EventKind.CLAIMED in kinds
        if case.status == Status.CLOSED:
            assert case.closed_reason in DEFAULT_CLOSED_REASONS and case.closed_at
            assert timeline[-1].kind == EventKind.STATUS_CHANGED
            assert timeline[-1].new_value == Status.CLOSED
        if case.status in (Status.RESOLVED, Status.CLOSED):
            assert case.resolved_at is not None
        if EventKind.REPLY_ADDED in kinds:
            assert case.first_response_at is not None
        if open_assignments[case.pk]:
            assert case.status == Status.IN_PROGRESS
            assert case.sub_status == INTERNAL_REFERRAL
        else:
            assert case.sub_status == ""
    closed = CaseAssignment.objects.filter(tenant=demo.tenant, status=AssignmentStatus.CLOSED)
    assert closed.exists() and all(a.closing_note and a.closed_by_id for a in closed)


def test_running_again_changes_no_counts(demo: DemoResult) -> None:
    before = counts(demo.tenant)
    numbers = sorted(Case.objects.filter(tenant=demo.tenant).values_list("number", flat=True))
    again = build(now=NOW + timedelta(days=2))
    assert again.tenant.pk == demo.tenant.pk and again.cases_created == 0
    assert counts(demo.tenant) == before
    assert sorted(Case.objects.filter(tenant=demo.tenant)
                  .values_list("number", flat=True)) == numbers


def test_a_larger_run_adds_only_the_missing_cases(demo: DemoResult) -> None:
    result = build(cases=SMALL + 10)
    assert (result.cases, result.cases_created) == (SMALL + 10, 10)
    cases = Case.objects.filter(tenant=demo.tenant)
    assert cases.count() == SMALL + 10
    added = list(cases.filter(number__gt=SMALL).order_by("number")
                 .values_list("subject", "created_at"))
    assert added == [(p.subject, p.created_at)
                     for p in plan_cases(count=SMALL + 10, start=SMALL, now=NOW)]
    assert Contact.objects.filter(tenant=demo.tenant).count() == 150


def test_demo_stays_inside_its_tenant(tenant: Tenant, agent: Membership) -> None:
    make_case(tenant, subject="Acme's own case")
    acme_before = counts(tenant)
    demo = build()
    acme_after = counts(tenant)
    # The demo adds users (they are global), but nothing that belongs to another tenant.
    assert {k: v for k, v in acme_after.items() if k != "User"} == {
        k: v for k, v in acme_before.items() if k != "User"}
    assert not Membership.objects.filter(tenant=tenant, user__email__endswith="demo.casedesk.test")
    demo_cases = Case.objects.filter(tenant=demo.tenant)
    assert not demo_cases.exclude(account__tenant=demo.tenant).exists()
    assert not demo_cases.exclude(contact__tenant=demo.tenant).exists()
    assert not demo_cases.exclude(queue__tenant=demo.tenant).exists()
    assert not demo_cases.filter(deal__isnull=False).exclude(deal__tenant=demo.tenant).exists()
    demo_members = Membership.objects.filter(tenant=demo.tenant).values("user_id")
    assert not demo_cases.filter(owner__isnull=False).exclude(owner__in=demo_members).exists()
    for model in (TimelineEvent, Note, CaseAssignment):
        rows = model.objects.filter(case__tenant=demo.tenant)
        assert not rows.exclude(tenant=demo.tenant).exists(), model.__name__
    assert not CaseAssignment.objects.filter(tenant=demo.tenant).exclude(
        queue__tenant=demo.tenant).exists()


def test_plans_are_deterministic_and_extend_each_other() -> None:
    small = plan_cases(count=30, now=NOW)
    assert small == plan_cases(count=30, now=NOW)
    larger = {plan.index: plan for plan in plan_cases(count=45, now=NOW)}
    assert all(larger[plan.index] == plan for plan in small)
    assert all(step.at <= NOW for plan in small for step in plan.steps)


def test_command_prints_working_logins(db: Any) -> None:
    out = StringIO()
    call_command("demo", cases=8, stdout=out)
    text = out.getvalue()
    assert "8 cases (8 added)" in text
    logins = [line.split() for line in text.splitlines() if line.startswith("  ")]
    assert [role for role, *_ in logins] == ["admin", "manager", "agent"]
    assert logins[0][1:] == ["admin@demo.casedesk.test", "/", "demo-admin"]
    for _role, email, _slash, password in logins:
        signed_in = Client().post("/login/", {"username": email, "password": password})
        assert signed_in.status_code == 302, email
        assert signed_in["Location"] == "/inbox/cases"


@pytest.mark.slow
def test_the_full_demo(db: Any) -> None:
    result = build(cases=600)
    tenant = result.tenant
    by_status = Counter(Case.objects.filter(tenant=tenant).values_list("status", flat=True))
    assert sum(by_status.values()) == 600
    assert all(by_status[s.value] >= 50 for s in Status), by_status
    referrals = CaseAssignment.objects.filter(tenant=tenant)
    assert set(referrals.values_list("queue__name", flat=True)) == {"Engineering", "Finance"}
    assert referrals.filter(status=AssignmentStatus.OPEN).count() >= 5
    assert Case.objects.filter(tenant=tenant, reopen_count=1).exists()
    before = counts(tenant)
    assert build(cases=600).cases_created == 0
    assert counts(tenant) == before


def test_the_demo_mails_nobody_and_takes_mail_at_its_address(demo: DemoResult) -> None:
    from casedesk.demo.builder import DEMO_MAIL_ADDRESS
    from casedesk.mail.models import OutboundMail

    assert not OutboundMail.objects.filter(tenant=demo.tenant).exists()
    assert demo.tenant.mail_address == DEMO_MAIL_ADDRESS

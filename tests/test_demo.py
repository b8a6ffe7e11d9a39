"""`casedesk demo`: a realistic tenant whose every case has a true timeline and whose knowledge
base answers its cases; idempotent and confined to its own tenant."""

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

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
from casedesk.demo import content, kb_content
from casedesk.demo.builder import DEMO_SLUG, DemoResult, demo_build
from casedesk.demo.kb_content import ARTICLES, CATEGORIES, PORTAL, topic_for
from casedesk.demo.plan import plan_cases
from casedesk.demo.topics import TOPICS
from casedesk.kb import analytics, search
from casedesk.kb.models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    KbCategory,
    KbEvent,
    KbEventKind,
    Visibility,
)
from casedesk.kb.services import article_delete, article_update
from casedesk.kb.suggestions import suggest_for_case
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
                          Queue, Membership, KbCategory, Article, ArticleVersion, KbEvent)
            } | {"User": User.objects.count()}


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
        # The desk's automation rules acknowledge new cases and follow resolved ones up.
        kinds = {e.kind for e in timeline} - {EventKind.AUTOMATION}
        if case.status == Status.NEW:
            assert case.owner_id is None and kinds == {EventKind.CREATED}
        else:
            assert case.owner_id is not None and EventKind.CLAIMED in kinds
        if case.status == Status.CLOSED:
            assert case.closed_reason in DEFAULT_CLOSED_REASONS and case.closed_at
            # The customer's satisfaction answer may come after the close.
            last = [e for e in timeline if e.kind != EventKind.CSAT_ANSWERED][-1]
            assert last.kind == EventKind.STATUS_CHANGED and last.new_value == Status.CLOSED
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
    assert f"{len(ARTICLES)} articles ({len(ARTICLES)} added)" in text
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


# --- the knowledge base ----------------------------------------------------------------------

_LINK = re.compile(r"\]\((/[^)\s]*)\)")
ANSWERS = {spec.slug: spec.topics for spec in ARTICLES}


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _public_published() -> set[str]:
    return {spec.slug for spec in ARTICLES
            if spec.visibility == Visibility.PUBLIC and spec.status == ArticleStatus.PUBLISHED}


def test_kb_content_answers_every_topic_with_real_articles() -> None:
    slugs = [spec.slug for spec in ARTICLES]
    assert len(slugs) == len(set(slugs))
    staff = {person.email.split("@")[0] for person in content.STAFF}
    public = _public_published()
    assert set(CATEGORIES) == set(DEFAULT_CATEGORIES), "the case categories are the top level"
    for spec in ARTICLES:
        assert spec.category[1] in CATEGORIES[spec.category[0]], spec.slug
        assert spec.author in staff, spec.slug
        assert spec.topics and set(spec.topics) <= {topic.key for topic in TOPICS}, spec.slug
        assert spec.summary and spec.tags, spec.slug
        assert 100 <= _words(spec.final_body) <= 400, spec.slug
        assert "lorem" not in spec.final_body.lower()
        for link in _LINK.findall(spec.final_body):
            # Links between articles lead customers to a public article they may read.
            assert link.removeprefix(PORTAL + "/") in public, (spec.slug, link)
    for topic in TOPICS:
        assert topic_for(topic.type, topic.category, topic.subcategory) is topic
        answering = kb_content.articles_for_topic(topic.key)
        assert any(spec.slug in public for spec in answering), topic.key
    assert topic_for("Bug", "Billing", "Nothing like it") is None
    assert reverse("kb:public_article", args=[DEMO_SLUG, "refund-policy"]) \
        == f"{PORTAL}/refund-policy"


def test_demo_has_a_knowledge_base(demo: DemoResult) -> None:
    tenant = demo.tenant
    articles = {a.slug: a for a in Article.objects.filter(tenant=tenant)
                .select_related("category__parent", "author")}
    assert set(articles) == {spec.slug for spec in ARTICLES}
    assert (demo.articles, demo.articles_created) == (len(ARTICLES), len(ARTICLES))
    statuses = Counter((a.status, a.visibility) for a in articles.values())
    assert statuses == Counter((spec.status, spec.visibility) for spec in ARTICLES)
    published = [a for a in articles.values() if a.status == ArticleStatus.PUBLISHED]
    assert len(published) >= 40
    assert {a.visibility for a in published} == {Visibility.PUBLIC, Visibility.INTERNAL}
    assert Counter(a.status for a in articles.values())[ArticleStatus.ARCHIVED] == 1
    assert Counter(a.status for a in articles.values())[ArticleStatus.DRAFT] >= 2
    tree = {(c.parent.name if c.parent else None, c.name)
            for c in KbCategory.objects.filter(tenant=tenant).select_related("parent")}
    assert tree == ({(None, top) for top in CATEGORIES}
                    | {(top, sub) for top, subs in CATEGORIES.items() for sub in subs})
    versions = defaultdict(list)
    for slug, number, body in (ArticleVersion.objects.filter(tenant=tenant)
                               .order_by("number").values_list("article__slug", "number", "body")):
        versions[slug].append((number, body))
    oldest_case = min(Case.objects.filter(tenant=tenant).values_list("created_at", flat=True))
    for spec in ARTICLES:
        article = articles[spec.slug]
        assert (article.title, article.summary, article.body, article.tags, article.language) \
            == (spec.title, spec.summary, spec.final_body, list(spec.tags), "en")
        assert article.category is not None and article.category.parent is not None
        assert (article.category.parent.name, article.category.name) == spec.category
        assert article.author is not None
        assert article.author.email == f"{spec.author}@{content.STAFF_DOMAIN}"
        if spec.status == ArticleStatus.DRAFT:
            assert versions[spec.slug] == [] and NOW - timedelta(days=15) < article.created_at
            continue
        # Every publish kept its text; an update was published as a second version.
        expected = [(1, spec.body)] + ([(2, spec.final_body)] if spec.update else [])
        assert versions[spec.slug] == expected, spec.slug
        assert article.created_at < oldest_case, "written before any case it is suggested on"
        assert article.published_at is not None and article.published_at <= NOW
    html = "".join(article.body_html for article in published)
    for tag in ("<h2>", "<ol>", "<ul>", "<table>", "<code>", f'<a href="{PORTAL}/'):
        assert tag in html
    # Agents wrote the drafts: the tenant lets them (kb_agents_may_draft is left on).
    assert tenant.kb_agents_may_draft
    draft_authors = {articles[spec.slug].author_id for spec in ARTICLES
                     if spec.status == ArticleStatus.DRAFT}
    assert set(Membership.objects.filter(tenant=tenant, user_id__in=draft_authors)
               .values_list("role", flat=True)) == {Role.AGENT}


def _answered_in_top_three(case: Case) -> bool:
    topic = topic_for(case.type, case.category, case.subcategory)
    assert topic is not None, case.subject
    # The first three of the five the case page shows.
    return any(topic.key in ANSWERS.get(s.article.slug, ())
               for s in suggest_for_case(case, limit=5)[:3])


def test_suggestions_answer_the_demo_cases(demo: DemoResult) -> None:
    cases = list(Case.objects.filter(tenant=demo.tenant).order_by("number"))
    assert len({topic_for(c.type, c.category, c.subcategory) for c in cases}) >= 10
    misses = [(c.display_number, c.subject) for c in cases if not _answered_in_top_three(c)]
    assert not misses


def test_suggestions_answer_every_issue_the_demo_customers_write_about(
        demo: DemoResult) -> None:
    values = {"first": "Ana", "company": "Northwind Logistics", "tier": "Enterprise",
              "invoice": "INV-2026-4821", "seats": "8", "count": "12,000", "month": "October",
              "amount": "$299.00", "browser": "Safari"}
    misses = []
    for topic in TOPICS:
        for issue in topic.issues:
            text = issue.subject + issue.description
            integrations = content.INTEGRATIONS if "{integration}" in text else ("Slack",)
            for integration in integrations:
                filled = values | {"integration": integration}
                case = make_case(demo.tenant, subject=issue.subject.format_map(filled),
                                 description=issue.description.format_map(filled),
                                 type=topic.type, category=topic.category,
                                 subcategory=topic.subcategory)
                if not _answered_in_top_three(case):
                    misses.append((topic.key, case.subject))
    assert not misses


def test_demo_has_a_history_of_suggestions_and_searches(demo: DemoResult) -> None:
    tenant = demo.tenant
    events = list(KbEvent.objects.filter(tenant=tenant).select_related("case", "article"))
    kinds = Counter(event.kind for event in events)
    for kind in (KbEventKind.SUGGESTION_SHOWN, KbEventKind.SUGGESTION_OPENED,
                 KbEventKind.CASE_RESOLVED_BY_ARTICLE, KbEventKind.VIEW, KbEventKind.SEARCH):
        assert kinds[kind] > 0, kind
    for event in events:
        assert event.created_at <= NOW
        if event.article is not None:
            assert event.article.created_at <= event.created_at
        case = event.case
        if case is None:
            continue
        assert case.status in (Status.RESOLVED, Status.CLOSED)
        assert case.resolved_at is not None
        assert case.created_at <= event.created_at <= case.resolved_at
        assert event.user_id == case.owner_id
        if event.kind == KbEventKind.CASE_RESOLVED_BY_ARTICLE:
            topic = topic_for(case.type, case.category, case.subcategory)
            assert topic is not None and event.article is not None
            assert topic.key in ANSWERS[event.article.slug]
            assert case.closed_reason in ("", "Resolved", "Other")
    month = {"since": NOW - timedelta(days=30), "until": NOW + timedelta(seconds=1)}
    totals = analytics.tenant_totals(tenant, **month)
    assert totals.suggestions_shown and totals.views
    gaps = analytics.content_gaps(tenant, **month)
    assert gaps[0].query == "whatsapp" and gaps[0].searches == 3
    assert all(not search.search_articles(tenant.pk, gap.query) for gap in gaps)
    found = KbEvent.objects.filter(tenant=tenant, kind=KbEventKind.SEARCH, results__gt=0)
    assert found.count() >= 5


def test_a_second_run_restores_a_deleted_draft_and_keeps_edits(demo: DemoResult) -> None:
    tenant = demo.tenant
    draft_slug = next(spec.slug for spec in ARTICLES if spec.status == ArticleStatus.DRAFT)
    article_delete(article=Article.objects.get(tenant=tenant, slug=draft_slug))
    edited = article_update(article=Article.objects.get(tenant=tenant, slug="refund-policy"),
                            changes={"title": "Our refund policy", "slug": "refunds"}, now=NOW)
    again = build(now=NOW + timedelta(days=2))
    assert (again.articles, again.articles_created) == (len(ARTICLES), 1)
    assert Article.objects.filter(tenant=tenant, slug=draft_slug).exists()
    edited.refresh_from_db()
    assert (edited.title, edited.slug) == ("Our refund policy", "refunds")
    assert not Article.objects.filter(tenant=tenant, slug="refund-policy").exists()

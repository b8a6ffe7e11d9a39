"""The demo tenant's knowledge base made real, and a history of its use.

`kb_ensure` writes the category tree and the articles of `demo.kb_content` through the
knowledge base's services only (`category_create`, `article_create`, `article_publish`,
`article_update`, `article_archive`), each handed a backdated `now`: articles were written
100 to 400 days before the build, before any demo case (at most 90 days old), so every
suggestion the history below records was a real article at the time. Articles with an
`update` are published twice, the second time within the last two months, so their version
history has two entries. Drafts were started in the last two weeks.

`kb_history_ensure` replays how agents used the knowledge base on the demo's resolved and
closed cases, through `kb.events` at the cases' own times: the suggestions the case page
showed (`kb.suggestions.suggest_for_case`), the one an agent opened when it answered the
case's topic, "this article solved it" when the case was resolved, and the searches of
`kb_content.SEARCHES` with what they really find.

Both are idempotent: an article is found by its slug, live or old (an editor may have
renamed it), and is neither rewritten nor re-created, so edits made in the demo survive a
refresh; a case that has any suggestion recorded is left alone; a search is recorded once per
query and member. Running the build again adds only what is missing.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case
from casedesk.demo import content, kb_content
from casedesk.demo.kb_content import ArticleSpec
from casedesk.demo.plan import SEED
from casedesk.kb import events
from casedesk.kb.models import (
    Article,
    ArticleSlug,
    ArticleStatus,
    KbCategory,
    KbEvent,
    KbEventKind,
)
from casedesk.kb.selectors import ArticleFilters, article_list
from casedesk.kb.services import (
    article_archive,
    article_create,
    article_publish,
    article_update,
    category_create,
)
from casedesk.kb.suggestions import Suggestion, suggest_for_case
from casedesk.tenancy.models import Role, Tenant, User

# How long before the build things happened, in days.
CATEGORIES_AGE = 420
WRITTEN_AGE = (100, 400)
UPDATED_AGE = (3, 60)
DRAFT_AGE = (1, 14)
ARCHIVED_AGE = (100, 200)

# As many as the case page shows.
SUGGESTIONS_SHOWN = 5
# Of the resolved and closed cases, the share whose agent had the suggestions panel open.
HISTORY_SHARE = 0.6
OPENED_WHEN_ANSWERED = 0.75  # an agent opens the suggestion that answers the case
OPENED_OTHERWISE = 0.25  # … or, when none does, glances at the first one
SOLVED_WHEN_OPENED = 0.65  # and marks the answering one as having solved the case
SHOWN_AGAIN = 0.35  # the panel was loaded again when the agent came back to resolve
VIEWED_IN_FULL = 0.4  # after opening, the agent read the article on its own page
# Reads of each published article by the staff outside of any case, at most.
BROWSE_VIEWS = 4
# Closings that an article cannot have solved.
_NOT_SOLVED = ("Duplicate", "Customer unresponsive", "Won't fix")


@dataclass(frozen=True)
class KbResult:
    """What `kb_ensure` left: the tenant's articles (any status) and how many it added."""

    articles: int
    articles_created: int


def _staff_email(local: str) -> str:
    return f"{local}@{content.STAFF_DOMAIN}"


def _days(rng: random.Random, span: tuple[float, float]) -> timedelta:
    return timedelta(seconds=int(rng.uniform(*span) * 86400))


def kb_ensure(tenant: Tenant, users: dict[str, User], *, now: datetime) -> KbResult:
    """The demo's categories and articles: those missing are created, the others left as
    they are. `users` are the demo's staff by email."""
    categories = _categories_ensure(tenant, now=now - timedelta(days=CATEGORIES_AGE))
    present = (set(Article.objects.filter(tenant=tenant).values_list("slug", flat=True))
               | set(ArticleSlug.objects.filter(tenant=tenant).values_list("slug", flat=True)))
    created = 0
    for spec in kb_content.ARTICLES:
        if spec.slug not in present:
            _article_build(tenant, spec, categories[spec.category], users, now=now)
            created += 1
    return KbResult(articles=Article.objects.filter(tenant=tenant).count(),
                    articles_created=created)


def _categories_ensure(tenant: Tenant, *, now: datetime) -> dict[tuple[str, str], int]:
    """The ids of the category tree by (top-level name, subcategory name)."""
    existing = {(c.parent.name if c.parent else None, c.name): c.pk
                for c in KbCategory.objects.filter(tenant=tenant).select_related("parent")}
    ids: dict[tuple[str, str], int] = {}
    for position, (top, subcategories) in enumerate(kb_content.CATEGORIES.items()):
        top_id = existing.get((None, top))
        if top_id is None:
            top_id = category_create(tenant=tenant, name=top, position=position, now=now).pk
        for sub_position, name in enumerate(subcategories):
            sub_id = existing.get((top, name))
            if sub_id is None:
                sub_id = category_create(tenant=tenant, name=name, parent_id=top_id,
                                         position=sub_position, now=now).pk
            ids[(top, name)] = sub_id
    return ids


def _publisher(author: content.Person) -> str:
    """Who published the author's articles: the author when a manager or admin may, their
    manager otherwise (agents write drafts; `kb.access.may_publish`)."""
    if author.role in (Role.ADMIN, Role.MANAGER):
        return author.email
    return author.manager


def _article_build(tenant: Tenant, spec: ArticleSpec, category_id: int,
                   users: dict[str, User], *, now: datetime) -> Article:
    """One article with its life: written, published (twice with an update), archived."""
    rng = random.Random(f"{SEED}:kb:{spec.slug}")
    author = next(p for p in content.STAFF if p.email == _staff_email(spec.author))
    publisher = users[_publisher(author)]
    draft = spec.status == ArticleStatus.DRAFT
    written = now - _days(rng, DRAFT_AGE if draft else WRITTEN_AGE)
    article = article_create(
        tenant=tenant, author=users[author.email], title=spec.title, body=spec.body,
        slug=spec.slug, summary=spec.summary, category_id=category_id, tags=list(spec.tags),
        language="en", visibility=spec.visibility, now=written)
    if draft:
        return article
    published = written + timedelta(hours=rng.uniform(2, 72))
    article = article_publish(article=article, actor=publisher, now=published)
    if spec.update:
        updated = now - _days(rng, UPDATED_AGE)
        article = article_update(article=article, changes={"body": spec.final_body},
                                 now=updated)
        article = article_publish(article=article, actor=publisher, now=updated)
    if spec.status == ArticleStatus.ARCHIVED:
        return article_archive(article=article, now=now - _days(rng, ARCHIVED_AGE))
    # Agents reading the article in the knowledge base, outside any case, lately.
    staff = sorted(users.values(), key=lambda user: user.email)
    for _ in range(rng.randrange(BROWSE_VIEWS + 1)):
        events.record_view(article, user=rng.choice(staff),
                           now=now - _days(rng, (0.1, UPDATED_AGE[1])))
    return article


def kb_history_ensure(tenant: Tenant, users: dict[str, User], *, now: datetime) -> int:
    """Suggestions shown, opened and "solved it" on the resolved and closed cases that have
    none yet, and the staff's searches not yet recorded; how many events it wrote."""
    written = _searches_ensure(tenant, users, now=now)
    answers = {spec.slug: spec.topics for spec in kb_content.ARTICLES}
    shown = (KbEvent.objects.filter(tenant=tenant, kind=KbEventKind.SUGGESTION_SHOWN,
                                    case__isnull=False).values("case_id"))
    cases = (Case.objects.filter(tenant=tenant, status__in=(Status.RESOLVED, Status.CLOSED),
                                 owner__isnull=False, resolved_at__isnull=False)
             .exclude(pk__in=shown).select_related("owner").order_by("number"))
    for case in cases:
        rng = random.Random(f"{SEED}:kb-case:{case.number}")
        if rng.random() < HISTORY_SHARE:
            written += _case_history(case, rng, answers)
    return written


def _case_history(case: Case, rng: random.Random,
                  answers: dict[str, tuple[str, ...]]) -> int:
    """What the owner of one resolved case did with its suggestions; the events written."""
    assert case.owner is not None and case.resolved_at is not None
    agent = case.owner
    # The agent looks at the case between its creation and their first reply.
    reply_at = case.first_response_at or case.created_at + timedelta(minutes=20)
    shown_at = case.created_at + (reply_at - case.created_at) * rng.uniform(0.3, 0.9)
    suggestions = _known_at(suggest_for_case(case, limit=SUGGESTIONS_SHOWN), shown_at)
    if not suggestions:
        return 0
    written = events.record_suggestions_shown(case, suggestions, agent, shown_at)
    topic = kb_content.topic_for(case.type, case.category, case.subcategory)
    answering = next((s for s in suggestions
                      if topic is not None and topic.key in answers.get(s.article.slug, ())),
                     None)
    opened: Suggestion | None = None
    if answering is not None and rng.random() < OPENED_WHEN_ANSWERED:
        opened = answering
    elif answering is None and rng.random() < OPENED_OTHERWISE:
        opened = suggestions[0]
    if opened is not None:
        opened_at = shown_at + timedelta(minutes=rng.uniform(0.5, 6))
        events.record_suggestion_opened(case, opened.article, agent, opened.score,
                                        opened.rank, opened_at)
        written += 1
        if rng.random() < VIEWED_IN_FULL:
            events.record_view(opened.article, user=agent,
                               now=opened_at + timedelta(minutes=rng.uniform(0.5, 3)))
            written += 1
    resolved_at = case.resolved_at
    if rng.random() < SHOWN_AGAIN and resolved_at - timedelta(minutes=10) > shown_at:
        written += events.record_suggestions_shown(case, suggestions, agent,
                                                   resolved_at - timedelta(minutes=10))
    if (opened is not None and opened is answering and case.closed_reason not in _NOT_SOLVED
            and rng.random() < SOLVED_WHEN_OPENED):
        events.record_case_resolved_by_article(case, opened.article, agent, resolved_at)
        written += 1
    return written


def _known_at(suggestions: list[Suggestion], at: datetime) -> list[Suggestion]:
    """The suggestions whose article existed at `at`, ranked again: an article written after
    the case (one added to the demo later by its users) cannot have been suggested on it."""
    known = [s for s in suggestions if s.article.created_at <= at]
    if len(known) == len(suggestions):
        return suggestions
    return [Suggestion(article=s.article, score=s.score, rank=rank)
            for rank, s in enumerate(known, start=1)]


def _searches_ensure(tenant: Tenant, users: dict[str, User], *, now: datetime) -> int:
    """The staff's searches, each recorded with the number of articles it finds now (as the
    article search of the API and pages records it)."""
    done = set(KbEvent.objects.filter(tenant=tenant, kind=KbEventKind.SEARCH,
                                      user__isnull=False).values_list("query", "user_id"))
    written = 0
    for spec in kb_content.SEARCHES:
        user = users[_staff_email(spec.by)]
        if (spec.query, user.pk) in done:
            continue
        found = article_list(tenant, ArticleFilters(q=spec.query), limit=50).items
        events.record_search(tenant, spec.query, len(found), user,
                             now - timedelta(days=spec.days_ago))
        written += 1
    return written

"""Articles suggested for a case: the tenant's published articles (internal and public) scored
against what the case is about, best first, on a 0–100 scale.

The case's words are weighted by where they stand (`PART_WEIGHTS`): the subject says most
what the case is about, the category and subcategory an agent chose next, then the latest
customer message, then the description (its first MAX_TEXT_CHARS characters: a long,
rambling description dilutes nothing, its words only count less). Common words are dropped
(`_STOP_WORDS`); a word in several parts keeps its highest weight. `search.match_terms` then
corrects typos, finds candidates through the most telling words and ranks them by BM25F, the
same arithmetic on both engines. An article filed under a category named like the case's
category or subcategory (case-insensitively and either singular or plural, the article's
category or its parent) has its score multiplied by `CATEGORY_BOOST`: the agent who
categorised the case has said what it is about.

A score is relative to the best suggestion of the same case (the best is 100): raw scores
have no meaning across cases, only the order and the gaps between articles do. It costs a
query for the latest message, the search (a stamp, one match, one read of the candidates'
text) and one query for the articles."""

from dataclasses import dataclass

from casedesk.cases.models import Case, Note
from casedesk.kb import search
from casedesk.kb.models import Article, ArticleStatus
from casedesk.kb.vocabulary import root, words_of

CATEGORY_BOOST = 1.5
# How much of a long description or message is read: the first words carry the subject.
MAX_TEXT_CHARS = 2000
# More hits than shown are fetched, so that the category boost can lift one from below.
CANDIDATES_PER_SUGGESTION = 4
# How much a word of each part of the case weighs.
PART_WEIGHTS = {"subject": 2.0, "category": 1.5, "message": 1.25, "description": 1.0}
MAX_TERMS = 64  # words read from a case, at most; the search keeps the most telling
_STOP_TEXT = """
a about above after again all am an and any are as at be been before being below between both
but by can cannot could did do does doing down during each few for from further get got had has
have having he her here hers him his how i if in into is it its just me more most my no nor not
now of off on once only or other our ours out over own please same she should so some still
such than thank thanks that the their theirs them then there these they this those through to
too under until up very was we were what when where which while who whom why will with would
you your yours hi hello dear regards best kind cheers
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Suggestion:
    article: Article
    score: float  # 0–100, the best suggestion of the case 100
    rank: int  # 1 for the best


def latest_customer_message(case: Case) -> str:
    """The text of the customer's latest message on the case (a public note without a member
    as author: mail, portal), its first `MAX_TEXT_CHARS` characters; "" when none."""
    body = (Note.objects.filter(case=case, author__isnull=True, is_public=True)
            .order_by("-created_at", "-pk").values_list("body", flat=True).first())
    return (body or "")[:MAX_TEXT_CHARS]


def query_terms(case: Case, message: str) -> dict[str, float]:
    """The words of the case worth searching for, each with its weight (`PART_WEIGHTS`), in
    the order of the parts: subject, category and subcategory, message, description."""
    parts = ((case.subject, PART_WEIGHTS["subject"]),
             (f"{case.category} {case.subcategory}", PART_WEIGHTS["category"]),
             (message[:MAX_TEXT_CHARS], PART_WEIGHTS["message"]),
             (case.description[:MAX_TEXT_CHARS], PART_WEIGHTS["description"]))
    terms: dict[str, float] = {}
    for text, weight in parts:
        for word in words_of(text):
            if len(word) > 1 and word not in _STOP_WORDS:
                if word not in terms and len(terms) == MAX_TERMS:
                    return terms
                terms[word] = max(terms.get(word, 0.0), weight)
    return terms


def query_text(case: Case, message: str) -> str:
    """The words of the case worth searching for, each once, the most telling part first."""
    return " ".join(query_terms(case, message))


def _name_key(name: str) -> str:
    """A category name compared by its words' roots: "Refund" is "Refunds"."""
    return " ".join(root(word) for word in words_of(name))


def suggest_for_case(case: Case, *, limit: int = 5) -> list[Suggestion]:
    """The published articles of the case's tenant that best match the case, best first."""
    terms = query_terms(case, latest_customer_message(case))
    hits = search.match_terms(case.tenant_id, terms, statuses={ArticleStatus.PUBLISHED},
                              limit=min(search.MAX_LIMIT, limit * CANDIDATES_PER_SUGGESTION))
    if not hits:
        return []
    names = {_name_key(name) for name in (case.category, case.subcategory)} - {""}
    # The search filters on tenant and status; both are checked again, as a wrong
    # suggestion would show another tenant's text.
    rows = {pk: (category, parent) for pk, category, parent in Article.objects.filter(
        tenant_id=case.tenant_id, status=ArticleStatus.PUBLISHED,
        pk__in=[hit.article_id for hit in hits]).values_list(
        "pk", "category__name", "category__parent__name")}
    scored: list[tuple[float, int, int]] = []
    for position, hit in enumerate(hits):
        if hit.article_id not in rows:
            continue
        score = max(hit.score, 0.0)
        if names & {_name_key(name) for name in rows[hit.article_id] if name}:
            score *= CATEGORY_BOOST
        scored.append((score, position, hit.article_id))
    scored.sort(key=lambda item: (-item[0], item[1]))
    articles = Article.objects.select_related("category__parent").in_bulk(
        [article_id for _, _, article_id in scored[:limit]])
    shown = [(score, articles[article_id]) for score, _, article_id in scored[:limit]
             if article_id in articles]
    top = shown[0][0] if shown else 0.0
    return [Suggestion(article=article,
                       score=round(100 * score / top, 1) if top > 0 else 0.0, rank=rank)
            for rank, (score, article) in enumerate(shown, start=1)]

"""Articles suggested for a case: the tenant's published articles (internal and public) scored
against what the case is about, best first, on a 0–100 scale.

The query is built from the case's words in order of how much they say: the subject, the
category and subcategory, the latest customer message, the description. Common words are
dropped and each word counts once, so the few words the search reads (`search.MAX_WORDS`) are
the telling ones. An article filed under a category named like the case's category or
subcategory (case-insensitively, the article's category or its parent) has its score
multiplied by `CATEGORY_BOOST`: the agent who categorised the case has said what it is about.

A score is relative to the best suggestion of the same case (the best is 100): the engines'
raw scores (bm25, ts_rank_cd) have no meaning across queries, only the order and the gaps
between articles do. It costs a search (a few queries) and one query for the articles."""

import re
from dataclasses import dataclass

from casedesk.cases.models import Case, Note
from casedesk.kb import search
from casedesk.kb.models import Article, ArticleStatus

CATEGORY_BOOST = 1.5
# How much of a long description or message is read: the first words carry the subject.
MAX_TEXT_CHARS = 2000
# More hits than shown are fetched, so that the category boost can lift one from below.
CANDIDATES_PER_SUGGESTION = 4

_WORD = re.compile(r"[^\W_]+")
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


def query_text(case: Case, message: str) -> str:
    """The words of the case worth searching for, the most telling first."""
    parts = (case.subject, case.category, case.subcategory, message[:MAX_TEXT_CHARS],
             case.description[:MAX_TEXT_CHARS])
    words: dict[str, None] = {}
    for part in parts:
        for word in _WORD.findall(part.lower()):
            if len(word) > 1 and word not in _STOP_WORDS:
                words.setdefault(word, None)
                if len(words) == search.MAX_WORDS:
                    return " ".join(words)
    return " ".join(words)


def _in_case_category(article: Article, names: set[str]) -> bool:
    category = article.category
    if category is None:
        return False
    parent = category.parent
    return (category.name.casefold() in names
            or (parent is not None and parent.name.casefold() in names))


def suggest_for_case(case: Case, *, limit: int = 5) -> list[Suggestion]:
    """The published articles of the case's tenant that best match the case, best first."""
    q = query_text(case, latest_customer_message(case))
    hits = search.search_articles(case.tenant_id, q, statuses={ArticleStatus.PUBLISHED},
                                  limit=min(search.MAX_LIMIT,
                                            limit * CANDIDATES_PER_SUGGESTION))
    if not hits:
        return []
    articles = Article.objects.select_related("category__parent").in_bulk(
        [hit.article_id for hit in hits])
    names = {name.casefold() for name in (case.category, case.subcategory) if name}
    scored: list[tuple[float, int, Article]] = []
    for position, hit in enumerate(hits):
        article = articles.get(hit.article_id)
        # The search filters on tenant and status; checked again, as a wrong suggestion
        # would show another tenant's text.
        if (article is None or article.tenant_id != case.tenant_id
                or article.status != ArticleStatus.PUBLISHED):
            continue
        score = max(hit.score, 0.0)
        if names and _in_case_category(article, names):
            score *= CATEGORY_BOOST
        scored.append((score, position, article))
    scored.sort(key=lambda item: (-item[0], item[1]))
    top = scored[0][0] if scored else 0.0
    return [Suggestion(article=article,
                       score=round(100 * score / top, 1) if top > 0 else 0.0, rank=rank)
            for rank, (score, _, article) in enumerate(scored[:limit], start=1)]

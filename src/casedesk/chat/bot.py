"""The chatbot's step: is one published article a good enough answer to the visitor's
question? Pure: words in, a score out.

The search engines' own scores (BM25 on SQLite, ts_rank on PostgreSQL) rank articles but are
not comparable across engines or questions, so the bot judges the best few candidates by how
much of the question they cover: every telling word of the question (not a stop word, at least
three letters, folded and with a plural "s" dropped) counts 1 when the article's title has it,
0.6 when only its summary or body does, 0 otherwise; the score is the mean, 0–100. A question
of fewer than two telling words is never answered by the bot."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOP_WORDS = frozenset(
    """
    a about after again all also am an and any are as at be because been before being but by
    can cannot could did do does doing don down during each few for from had has have having
    he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our out over own same she should so some such than
    that the their them then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours
    hello hi hey please thanks thank help need want get got can't doesn't isn't won't it's
    i'm problem issue question
    """.split()  # noqa: SIM905 (a list literal of 130 words reads far worse)
)
TITLE_WEIGHT = 1.0
BODY_WEIGHT = 0.6
MIN_WORDS = 2


def _fold(word: str) -> str:
    word = word.casefold()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> set[str]:
    return {_fold(w) for w in _WORD.findall(text)}


def telling_words(question: str) -> list[str]:
    """The question's words that say what it is about, in order, once each."""
    seen: dict[str, None] = {}
    for raw in _WORD.findall(question):
        if len(raw) < 3 or raw.casefold() in STOP_WORDS:
            continue
        seen.setdefault(_fold(raw), None)
    return list(seen)


def match_score(question: str, title: str, text: str) -> float:
    """How well an article (its title, and its summary and body as `text`) covers the
    question, 0–100."""
    asked = telling_words(question)
    if len(asked) < MIN_WORDS:
        return 0.0
    in_title, in_text = words(title), words(text)
    total = sum(TITLE_WEIGHT if w in in_title else BODY_WEIGHT if w in in_text else 0.0
                for w in asked)
    return round(100 * total / len(asked), 1)


@dataclass(frozen=True)
class Candidate:
    article_id: int
    title: str
    text: str


def best_answer(question: str, candidates: Iterable[Candidate], min_score: int
                ) -> tuple[int, float] | None:
    """The article the bot answers with, and its score: the best-covering candidate when it
    reaches `min_score`; None otherwise."""
    best: tuple[int, float] | None = None
    for candidate in candidates:
        score = match_score(question, candidate.title, candidate.text)
        if best is None or score > best[1]:
            best = (candidate.article_id, score)
    if best is None or best[1] < min_score:
        return None
    return best

"""What a tenant's articles say, counted: the words of their text, how many articles use each
word's root, and their languages. The search reads it to correct typos
(`Vocabulary.corrected`), to tell telling words from common ones (`Vocabulary.idf`) and to
rerank suggestion candidates the same way on every engine (`Vocabulary.score`).

A tenant's vocabulary is built once per process from its articles (titles, summaries, tags,
the first MAX_BODY_CHARS of bodies: one read of the tenant's articles, 1.5 s at 50,000
articles) and kept in memory for the MAX_TENANTS tenants used last. Each use checks a cheap
stamp, the latest `updated_at` of the tenant's articles (one probe of an index): when another
process has changed articles since, only those are read and counted into a new vocabulary,
and once such changes add up to REBUILD_SHARE of the articles it is built again from all of
them, so the words of changed and deleted articles do not linger. A write in this process
(`index.index_article`, `index.reindex_articles`) drops the tenant's vocabulary: the next
use builds it afresh (which also keeps a test that reuses another test's tenant id, at the
same fixed clock, from reading that test's words).

Roots are a deliberately crude English suffix stripping ("invoices", "invoiced", "invoicing"
→ "invoic"), the same on every engine: they only group words for counting and reranking;
the engines still match with their own stemmers.
"""

import difflib
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection

WORD = re.compile(r"[^\W_]+")
MAX_BODY_CHARS = 5000  # of a body counted and reranked: its first words say what it is about
MAX_TENANTS = 64
REBUILD_SHARE = 0.1
MIN_REBUILD = 100  # a small knowledge base is built again after this many changed articles
MIN_CORRECTED_CHARS = 4  # shorter words are too often a different word one letter away
TYPO_CUTOFF = 0.8
MAX_MEMO = 10_000  # corrections remembered per tenant

# The rerank's field weights (BM25F): a title word says the most, a body word the least.
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "summary": 1.5, "body": 1.0, "category": 1.0}
K1, B = 1.2, 0.75

_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""),
             ("e", ""))
_DOUBLED = frozenset("bdgkmnprt")  # "shipped" → "ship"; not l or s ("install", "access")


@lru_cache(maxsize=200_000)
def root(word: str) -> str:
    """The word with up to two English suffixes taken off ("settings" → "set"); words with
    digits, and words of three letters or fewer, as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for _ in range(2):
        stripped = _strip(word)
        if stripped == word:
            break
        word = stripped
    return word


def _strip(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if not word.endswith(suffix):
            continue
        stem = word[: len(word) - len(suffix)] + replacement
        if len(stem) < 3 or (suffix == "s" and word[-2] in "siu"):
            continue
        if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2] in _DOUBLED:
            stem = stem[:-1]
        return stem
    return word


def words_of(text: str) -> list[str]:
    """The words of a text, lowercased: runs of letters and digits."""
    return WORD.findall(text.lower())


@dataclass
class Vocabulary:
    """One tenant's counted words (see the module's docstring)."""

    stamp: Any
    articles: int = 0
    roots: Counter[str] = field(default_factory=Counter)  # root -> articles using it
    words: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    lengths: float = 0.0  # the articles' weighted lengths (in words), summed
    built_from: int = 0  # articles at the last full build
    added: int = 0  # articles added by refreshes since
    _targets: dict[tuple[str, int], list[str]] | None = None
    _memo: dict[str, str] = field(default_factory=dict)

    def copy(self, stamp: Any) -> "Vocabulary":
        return Vocabulary(stamp=stamp, articles=self.articles, roots=Counter(self.roots),
                          words=set(self.words), languages=set(self.languages),
                          lengths=self.lengths, built_from=self.built_from, added=self.added)

    def df(self, word: str) -> int:
        """How many articles use the word's root."""
        return self.roots.get(root(word), 0)

    def idf(self, word: str) -> float:
        """BM25's inverse document frequency of the word: high for rare words."""
        n, df = self.articles, self.df(word)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def knows(self, word: str) -> bool:
        return word in self.words or root(word) in self.roots

    def corrected(self, word: str) -> str:
        """The word, or the closest word of the articles when it is in none of them (ratio
        at least TYPO_CUTOFF, same first letter; the more common of equally close words). A
        word the articles use, perhaps in another form ("resetting"), is not a typo."""
        if len(word) < MIN_CORRECTED_CHARS or not word.isalpha() or self.knows(word):
            return word
        if word not in self._memo:
            if len(self._memo) >= MAX_MEMO:
                self._memo.clear()
            self._memo[word] = self._closest(word)
        return self._memo[word]

    def _closest(self, word: str) -> str:
        if self._targets is None:
            targets: dict[tuple[str, int], list[str]] = {}
            for known in self.words:
                if len(known) >= MIN_CORRECTED_CHARS and known.isalpha():
                    targets.setdefault((known[0], len(known)), []).append(known)
            self._targets = targets
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, int, str] | None = None
        for length in range(len(word) - 2, len(word) + 3):
            for candidate in self._targets.get((word[0], length), ()):
                matcher.set_seq1(candidate)
                if (matcher.real_quick_ratio() >= TYPO_CUTOFF
                        and matcher.quick_ratio() >= TYPO_CUTOFF):
                    ratio = matcher.ratio()
                    if ratio >= TYPO_CUTOFF:
                        key = (ratio, self.df(candidate), candidate)
                        if best is None or key > best:
                            best = key
        return best[2] if best is not None else word

    def add(self, rows: Iterable[Sequence[Any]]) -> int:
        """Counts articles given as (title, summary, tags text, body head, language)."""
        count = 0
        for title, summary, tags, body, language in rows:
            fields = {"title": words_of(title), "tags": words_of(tags or ""),
                      "summary": words_of(summary), "body": words_of(body or "")}
            seen = set().union(*fields.values())
            self.words.update(seen)
            self.roots.update({root(word) for word in seen})
            self.lengths += sum(FIELD_WEIGHTS[name] * len(found)
                                for name, found in fields.items())
            self.languages.add(language or "")
            count += 1
        self.articles += count
        self._targets = None
        self._memo.clear()
        return count

    def score(self, terms: dict[str, float], fields: dict[str, str]) -> float:
        """BM25F of one article for `terms` (root -> the query's weight of it times its idf):
        each field's occurrences weighted by FIELD_WEIGHTS, saturated, against the tenant's
        average article length. `fields`: title, summary, tags, body and category (the names
        of the article's category and its parent: they say what it is about, but are not
        counted in its length, as the average does not count them)."""
        counts: dict[str, float] = {}
        length = 0.0
        for name, text in fields.items():
            weight = FIELD_WEIGHTS[name]
            found = words_of(text)
            if name != "category":
                length += weight * len(found)
            for word, times in Counter(found).items():
                key = root(word)
                if key in terms:
                    counts[key] = counts.get(key, 0.0) + weight * times
        if not counts:
            return 0.0
        average = self.lengths / self.articles if self.articles else length or 1.0
        norm = K1 * (1 - B + B * length / (average or 1.0))
        return sum(terms[key] * tf * (K1 + 1) / (tf + norm) for key, tf in counts.items())


_vocabularies: OrderedDict[int, Vocabulary] = OrderedDict()
_lock = threading.Lock()


def forget(tenant_id: int | None) -> None:
    """Drops the tenant's vocabulary (everyone's for None): its articles changed here."""
    with _lock:
        if tenant_id is None:
            _vocabularies.clear()
        else:
            _vocabularies.pop(tenant_id, None)


def vocabulary(tenant_id: int) -> Vocabulary:
    """The tenant's vocabulary, up to date with its articles (see the module's docstring).
    A vocabulary once handed out never changes (a refresh makes a new one), so threads of
    one process may share it."""
    stamp = _stamp(tenant_id)
    with _lock:
        held = _vocabularies.get(tenant_id)
    if held is not None and held.stamp == stamp:
        return held
    if (held is not None and held.stamp is not None and stamp is not None
            and stamp > held.stamp
            and held.added < REBUILD_SHARE * max(held.built_from, MIN_REBUILD)):
        fresh = held.copy(stamp)
        fresh.added += fresh.add(_rows(tenant_id, since=held.stamp))
    else:
        fresh = Vocabulary(stamp=stamp)
        fresh.built_from = fresh.add(_rows(tenant_id))
    with _lock:
        _vocabularies[tenant_id] = fresh
        _vocabularies.move_to_end(tenant_id)
        while len(_vocabularies) > MAX_TENANTS:
            _vocabularies.popitem(last=False)
    return fresh


def _stamp(tenant_id: int) -> Any:
    """The latest change of the tenant's articles, as the database gives it (compared, and
    given back to it, never interpreted)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(updated_at) FROM kb_article WHERE tenant_id = %s",
                       [tenant_id])
        return cursor.fetchone()[0]


def _rows(tenant_id: int, since: Any = None) -> list[tuple[Any, ...]]:
    """(title, summary, tags, body head, language) of the tenant's articles, or of those
    changed after `since`. (A transaction that commits after a later one, with an earlier
    `updated_at`, is missed until the next full build: its words are then only unknown a
    while, which costs a typo correction at most.)"""
    sql = ("SELECT title, summary, CAST(tags AS text), substr(body, 1, %s), language"
           " FROM kb_article WHERE tenant_id = %s")
    params: list[Any] = [MAX_BODY_CHARS, tenant_id]
    if since is not None:
        sql += " AND updated_at > %s"
        params.append(since)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())

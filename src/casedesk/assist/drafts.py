"""Reply drafts: a public reply for the agent to edit, assembled from what the tenant already
said well: the best-matching published public knowledge-base articles (`kb.suggestions`) and
its agents' public replies to the most similar resolved cases (`assist.similar`).

A draft is only text. Nothing here writes a note or sends anything: the agent puts it into
the composer, edits it and sends it (or not) like any reply. What may go into it is chosen so
that a careless "send" still leaks nothing: public articles only (an internal article is for
agents), an agent's public replies only (never an internal note, a closure note or a
customer's own message), the other customer's greeting taken off. Where no article and no
similar case's reply matches well enough, the answer says there is nothing to draft from,
rather than an empty template that reads like an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import reverse

from casedesk.assist.similar import last_public_reply, similar_cases
from casedesk.cases.models import Case
from casedesk.kb.models import Article, Visibility
from casedesk.kb.suggestions import suggest_for_case
from casedesk.tenancy.models import Membership, Tenant

ARTICLES = 2  # articles quoted at most
REPLIES = 1  # past replies quoted at most: one good precedent says enough
ARTICLE_MIN = 60.0  # of 100, the best article: weaker ones only add noise
REPLY_MIN_SCORE = 0.35  # similarity a case needs before its reply is reused
PASSAGE_CHARS = 600
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening))\b[^,\n:]*[,:]?\s*", re.IGNORECASE
)
_SIGN_OFF = re.compile(
    r"^\s*(best|kind regards|regards|thanks|thank you|cheers|sincerely)\b", re.IGNORECASE
)
_MARKDOWN = re.compile(r"[*_`>#]+")
NOTHING = (
    "Nothing to draft from: no published public article and no similar resolved case "
    "matches this case well enough."
)


@dataclass(frozen=True)
class DraftSource:
    kind: str  # "article" or "case"
    label: str  # the article's title, or the case's number and subject
    url: str  # the public article's address; the case page's path for a case
    ref: str  # the article's slug, or the case's number as shown


@dataclass(frozen=True)
class ReplyDraft:
    text: str  # "" when there is nothing to draft from
    sources: list[DraftSource] = field(default_factory=list)
    note: str = ""  # why there is no draft


def first_passage(text: str, limit: int = PASSAGE_CHARS) -> str:
    """The first paragraph that says something (not a heading), without Markdown marks,
    cut at a sentence end within `limit` characters."""
    for block in re.split(r"\n\s*\n", text.strip()):
        block = block.strip()
        if not block or block.startswith("#"):
            continue
        plain = " ".join(_MARKDOWN.sub("", block).split())
        if len(plain) <= limit:
            return plain
        cut = plain[:limit]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        return cut[: end + 1] if end > limit // 3 else cut.rstrip() + "…"
    return ""


def reply_passage(body: str) -> str:
    """A past reply without its greeting (it named another customer) and its sign-off."""
    lines = body.strip().splitlines()
    kept: list[str] = []
    for line in lines:
        if _SIGN_OFF.match(line) and kept:
            break
        kept.append(line)
    text = "\n".join(kept).strip()
    text = _GREETING.sub("", text, count=1).strip()
    return text[:1].upper() + text[1:]


def greeting(contact_name: str) -> str:
    first = contact_name.split()[0] if contact_name.strip() else ""
    return f"Hi {first}," if first else "Hello,"


def compose(hello: str, passages: list[str], links: list[tuple[str, str]], agent_name: str) -> str:
    """The draft's text: greeting, passages, the articles' links, sign-off."""
    parts = [hello, *passages]
    if links:
        parts.append(
            "\n".join(["You can read more here:", *[f"- {title}: {url}" for title, url in links]])
        )
    parts.append(f"Best regards,\n{agent_name}".rstrip())
    return "\n\n".join(parts)


def _articles(case: Case) -> list[Article]:
    """The best public published articles for the case, if good enough."""
    return [
        s.article
        for s in suggest_for_case(case, limit=5)
        if s.article.visibility == Visibility.PUBLIC and s.score >= ARTICLE_MIN
    ][:ARTICLES]


def _past_replies(tenant: Tenant, case: Case) -> list[tuple[str, str, str]]:
    """(number, subject, passage) of the most similar resolved cases' last public agent
    reply."""
    found = []
    for similar in similar_cases(tenant, case, limit=5):
        if similar.status not in {"resolved", "closed"} or similar.score < REPLY_MIN_SCORE:
            continue
        passage = reply_passage(last_public_reply(tenant.pk, similar.case_id))
        if passage:
            found.append((similar.number, similar.subject, passage))
        if len(found) == REPLIES:
            break
    return found


def reply_draft(
    tenant: Tenant, case: Case, *, member: Membership, base_url: str = ""
) -> ReplyDraft:
    """A draft public reply to `case`, signed by `member`, with its sources; nothing is
    written or sent. `base_url` (scheme and host) makes the articles' links absolute."""
    if case.tenant_id != tenant.pk or member.tenant_id != tenant.pk:
        return ReplyDraft(text="", note=NOTHING)
    articles = _articles(case)
    replies = _past_replies(tenant, case)
    if not articles and not replies:
        return ReplyDraft(text="", note=NOTHING)
    passages = [passage for _, _, passage in replies]
    sources = [
        DraftSource(
            kind="case",
            label=f"{number}: {subject}",
            url=reverse("console:case_detail", args=[number]),
            ref=number,
        )
        for number, subject, _ in replies
    ]
    links = []
    for article in articles:
        passage = first_passage(article.summary) or first_passage(article.body)
        if passage and passage not in passages:
            passages.append(passage)
        url = base_url + reverse("kb:public_article", args=[tenant.slug, article.slug])
        links.append((article.title, url))
        sources.append(DraftSource(kind="article", label=article.title, url=url, ref=article.slug))
    contact = case.contact.name if case.contact_id and case.contact else ""
    text = compose(greeting(contact), passages, links, member.user.full_name or member.user.email)
    return ReplyDraft(text=text, sources=sources)

"""What each MCP tool and resource does, as plain functions of the member acting.

They call what the REST API's handlers call (access helpers, services, selectors,
presenters), with the same permission checks and the same refusals: a `DomainError` raised
here reaches the agent as a tool error with the API's message. Input is checked by the
API's own input schemas, so a value the API refuses is refused here too, in the same words.
"""

from typing import Any

from django.db.models import prefetch_related_objects
from pydantic import ValidationError

from casedesk.cases import creation, ownership, selectors, services
from casedesk.cases.access import get_case_for_member
from casedesk.cases.attachments import note_add_with_files
from casedesk.cases.hooks import case_csat, reply_mail
from casedesk.cases.merge import merged_target
from casedesk.cases.presenters import case_out, event_out, note_out
from casedesk.cases.schemas import CaseIn, NoteIn, TransitionIn
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority
from casedesk.kb import access as kb_access
from casedesk.kb import events as kb_events
from casedesk.kb import selectors as kb_selectors
from casedesk.kb.models import Article
from casedesk.routing.models import Queue
from casedesk.search.api import result_out
from casedesk.search.selectors import Scope, search
from casedesk.tenancy.models import Membership
from casedesk.tenancy.token_events import token_event_vias

MAX_LIMIT = 50
MAX_HISTORY = 100


def checked[T](schema: type[T], **values: Any) -> T:
    """`values` parsed by the API's input schema; Invalid with the schema's words otherwise."""
    try:
        return schema(**values)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise Invalid(f"{field}: {first['msg']}" if field else first["msg"], field=field) from None


def _limit(limit: int, most: int) -> int:
    if not 1 <= limit <= most:
        raise Invalid(f"limit is between 1 and {most}.", field="limit")
    return limit


def search_cases(membership: Membership, *, query: str, limit: int = 20) -> dict[str, Any]:
    """The search box of the console and `GET /search`: cases best first, with snippets."""
    query = query.strip()
    if not query:
        raise Invalid("query is empty.", field="query")
    result = search(Scope.of_member(membership), query, offset=0, limit=_limit(limit, MAX_LIMIT))
    found = result_out(query, result)
    return {key: found[key] for key in ("q", "total", "capped", "jump", "cases")}


def _article_summary(article: Article, score: float | None = None) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "summary": article.summary,
        "status": article.status,
        "visibility": article.visibility,
        "language": article.language,
        "tags": article.tags,
        "updated_at": article.updated_at,
        "score": score,
        "uri": f"casedesk://kb/articles/{article.pk}",
    }


def search_kb(membership: Membership, *, query: str, limit: int = 10) -> dict[str, Any]:
    """The knowledge base's full-text search as `GET /kb/articles?q=`; counted as a search
    in the KB analytics, as the API's is."""
    query = query.strip()
    if not query:
        raise Invalid("query is empty.", field="query")
    filters = kb_selectors.ArticleFilters(q=query)
    page = kb_selectors.article_list(membership.tenant, filters, limit=_limit(limit, MAX_LIMIT))
    kb_events.record_search(membership.tenant, query, len(page.items), membership.user, clock.now())
    return {
        "q": query,
        "articles": [_article_summary(a, page.scores.get(a.pk)) for a in page.items],
    }


def article(membership: Membership, article_id: int) -> dict[str, Any]:
    """An article as `GET /kb/articles/{id}` reads it (the Markdown body)."""
    found = kb_access.get_article_for_member(membership, article_id)
    return {
        **_article_summary(found),
        "body": found.body,
        "slug": found.slug,
        "category_id": found.category_id,
        "published_at": found.published_at,
    }


def get_case(membership: Membership, *, number: str, history: int = MAX_HISTORY) -> dict[str, Any]:
    """The case as `GET /cases/{number}` shows it, with its history oldest first: public
    replies, the customer's mail and internal notes, each event with the way it came in
    (`via`, e.g. "mcp · Claude")."""
    case = get_case_for_member(membership, number)
    now = clock.now()
    out: dict[str, Any] = {**case_out(case, now), "csat": case_csat(case)}
    if case.merged_into_id is not None:
        out["merged_into"] = merged_target(case).display_number
    page = selectors.timeline_page(case, limit=_limit(history, MAX_HISTORY))
    prefetch_related_objects([e.note for e in page.items if e.note is not None], "attachments")
    vias = token_event_vias(case.tenant_id, [e.pk for e in page.items])
    out["history"] = [
        {**event_out(e, number=case.display_number), "via": vias.get(e.pk, "")} for e in page.items
    ]
    out["history_truncated"] = page.next_cursor is not None
    return out


def create_case(membership: Membership, **fields: Any) -> dict[str, Any]:
    """A case made as `POST /cases` makes it (routing, SLA, timeline, automation)."""
    payload = checked(CaseIn, **{k: v for k, v in fields.items() if v is not None})
    data = creation.CaseInput(
        **{**payload.dict(), "priority": Priority.from_name(payload.priority)}
    )
    now = clock.now()
    case, _ = creation.case_create(
        tenant=membership.tenant, actor=membership.user, data=data, now=now
    )
    return case_out(get_case_for_member(membership, str(case.number)), now)


def add_note(membership: Membership, *, number: str, body: str, public: bool) -> dict[str, Any]:
    """An internal note, or a public reply (mailed to the customer like any agent's reply),
    as `POST /cases/{number}/notes`."""
    payload = checked(NoteIn, body=body, public=public)
    case = get_case_for_member(membership, number)
    note = note_add_with_files(
        case=case,
        actor=membership.user,
        body=payload.body,
        is_public=payload.public,
        now=clock.now(),
    )
    mailed = reply_mail(case, [note.pk] if note.is_public else [])
    return note_out(note, mailed.get(note.pk), number=case.display_number)


def transition(
    membership: Membership, *, number: str, to: str, note: str = "", closed_reason: str = ""
) -> dict[str, Any]:
    """A lifecycle move as `POST /cases/{number}/transitions`: refused moves name the allowed
    ones; resolved and closed need a note, closed a closed reason."""
    payload = checked(TransitionIn, to=to, note=note, closed_reason=closed_reason)
    case = get_case_for_member(membership, number)
    now = clock.now()
    services.case_transition(
        case=case,
        actor=membership.user,
        to=payload.to.strip(),
        note=payload.note,
        closed_reason=payload.closed_reason.strip(),
        now=now,
    )
    return case_out(get_case_for_member(membership, number), now)


def claim(membership: Membership, *, number: str) -> dict[str, Any]:
    """The member takes the case, as `POST /cases/{number}/claim`; a lost race names the
    winner."""
    case = get_case_for_member(membership, number)
    now = clock.now()
    ownership.case_claim(case=case, membership=membership, now=now)
    return case_out(get_case_for_member(membership, number), now)


def my_inbox(membership: Membership, *, limit: int = 20) -> dict[str, Any]:
    """My open cases and my queues' unassigned ones in claim order, as `GET /inbox/cases`."""
    queue_ids = selectors.inbox_queue_ids(membership)
    page = selectors.inbox_cases(membership, limit=_limit(limit, MAX_LIMIT), queue_ids=queue_ids)
    counts = selectors.queue_counts(membership, queue_ids)
    names = dict(
        Queue.objects.filter(tenant_id=membership.tenant_id, pk__in=queue_ids).values_list(
            "pk", "name"
        )
    )
    now = clock.now()
    return {
        "cases": [case_out(c, now) for c in page.items],
        "more": page.next_cursor is not None,
        "queues": [{"id": q, "name": names[q], "waiting": counts[q]} for q in queue_ids],
    }

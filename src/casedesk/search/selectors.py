"""The search box: one query over a tenant's cases (number, subject, description, notes, mail
in and out), contacts, accounts and knowledge-base articles, ranked, with snippets and facets.

Who searches decides what is searched (`Scope`):
- a member (console, API token) searches everything of their tenant, internal notes included;
- a portal customer searches only the cases they may see in the portal
  (`portal.conversation.cases_of`): subject, description, their public conversation and
  their mail, never an internal note or the outgoing mail, and the public articles; no
  contacts, accounts or agents' operators.

How a search runs (bounded at any size): each source of text gives at most PER_SOURCE
matches (`engines.matches`: the newest on PostgreSQL, the best on SQLite), a case's score is
the sum over its sources of the source's weight times its best rank (the subject weighs
most, so a subject hit outranks a note-only one), facets are counted over those candidates
(at most FACET_CAP; `SearchResult.capped` says "more"), and only the page shown is read in
full and given snippets.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils.safestring import SafeString

from casedesk.cases.models import Case, Note
from casedesk.core.text import check_text
from casedesk.crm.models import Account, Contact
from casedesk.kb import public_access
from casedesk.kb import search as kb_search
from casedesk.kb.models import Article, ArticleStatus
from casedesk.mail.models import InboundMessage, OutboundMail
from casedesk.portal.customers import Customer
from casedesk.routing.models import Queue
from casedesk.search import engines, index
from casedesk.search.engines import Condition, Match
from casedesk.search.query import MAX_QUERY_CHARS, ParsedQuery, QueryError, parse_query
from casedesk.search.snippets import snippet
from casedesk.tenancy.models import Membership, Tenant

PER_SOURCE = 250
FACET_CAP = 1000
MAX_LIMIT = 50
MAX_OFFSET = FACET_CAP
SIDE_RESULTS = 5  # contacts, accounts and articles shown beside the cases
SOURCE_WEIGHTS = {"case": 3.0, "note": 1.0, "mail_in": 1.0, "mail_out": 0.8}
SOURCE_LABELS = {"case": "Subject or description", "note": "Note", "internal": "Internal note",
                 "reply": "Reply", "mail_in": "Incoming mail", "mail_out": "Outgoing mail",
                 "number": "Case number", "filter": ""}
FACETS = ("status", "queue", "owner", "type")
SENDER_CASES = 2000  # cases `from:` considers per kind of writing, the newest kept


@dataclass(frozen=True)
class Scope:
    """Who searches: a member of the tenant, or one of its portal customers."""

    tenant: Tenant
    user_id: int | None = None
    contact_id: int | None = None
    account_id: int | None = None  # a portal admin also sees their account's cases

    @classmethod
    def of_member(cls, membership: Membership) -> "Scope":
        return cls(tenant=membership.tenant, user_id=membership.user_id)

    @classmethod
    def of_customer(cls, customer: Customer) -> "Scope":
        return cls(tenant=customer.tenant, contact_id=customer.contact.pk,
                   account_id=customer.contact.account_id if customer.is_account_admin
                   else None)

    @property
    def is_customer(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True)
class CaseHit:
    case: Case
    score: float
    matched: str  # SOURCE_LABELS key: where the best match was
    snippet: SafeString


@dataclass(frozen=True)
class FacetValue:
    value: str  # what the operator takes (`status:open`): the status, queue name, email…
    label: str
    count: int
    operator: str  # the text to add to the query, e.g. `queue:"Second line"`


@dataclass
class SearchResult:
    query: ParsedQuery
    cases: list[CaseHit] = field(default_factory=list)
    total: int = 0
    capped: bool = False  # more matched than were counted
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    jump: Case | None = None
    contacts: list[Contact] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)


def search(scope: Scope, text: str, *, offset: int = 0, limit: int = 20) -> SearchResult:
    """The tenant's matches for `text` as `scope` may see them, best first: `limit` cases
    from `offset`, facets, and (first page only) contacts, accounts and articles. Raises
    Invalid (QueryError) for text no database can hold or an operator's bad value."""
    check_text(text, field="q", label="The search")
    parsed = parse_query(text[:MAX_QUERY_CHARS], prefix=scope.tenant.case_prefix)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, min(offset, MAX_OFFSET))
    result = SearchResult(query=parsed)
    conditions = _conditions(scope, parsed)
    jump_number = parsed.number if parsed.number is not None else parsed.maybe_number
    if jump_number is not None:
        result.jump = _visible_cases(scope).filter(number=jump_number).first()
        if result.jump is not None and parsed.number is not None and not (
                parsed.has_text or parsed.has_filters):
            result.cases = [CaseHit(result.jump, 1.0, "number", SafeString(""))]
            result.total = 1
            return result
    scores, best, capped = _candidates(scope, parsed, conditions)
    if result.jump is not None and parsed.number is not None:
        scores[result.jump.pk] = max(scores.values(), default=0.0) + 1.0
        best[result.jump.pk] = Match("number", result.jump.pk, result.jump.pk, 1.0)
    ranked = sorted(scores, key=lambda case_id: (-scores[case_id], -case_id))
    result.total, result.capped = len(ranked), capped or len(ranked) > FACET_CAP
    counted = ranked[:FACET_CAP]
    result.facets = _facets(scope, counted) if counted else {}
    page = ranked[offset:offset + limit]
    result.cases = _hits(scope, parsed, page, scores, best)
    if offset == 0 and parsed.has_text and not parsed.has_filters:
        _side_results(scope, text, parsed, result)
    return result


def _visible_cases(scope: Scope) -> Any:
    cases = Case.objects.filter(tenant=scope.tenant).select_related("tenant")
    if scope.is_customer:
        seen = Q(contact_id=scope.contact_id)
        if scope.account_id is not None:
            seen |= Q(account_id=scope.account_id)
        cases = cases.filter(seen)
    return cases


def _conditions(scope: Scope, parsed: ParsedQuery) -> list[Condition]:
    """The query's operators (and the customer's own cases) as conditions on the case `c`."""
    tenant_id = scope.tenant.pk
    conditions: list[Condition] = []
    if scope.is_customer:
        if parsed.owners or parsed.queues or parsed.types or parsed.senders:
            raise QueryError("Only words, phrases, case numbers and status: work here.")
        if scope.account_id is not None:
            conditions.append(Condition("c.contact_id = %s OR c.account_id = %s",
                                        [scope.contact_id, scope.account_id]))
        else:
            conditions.append(Condition("c.contact_id = %s", [scope.contact_id]))
    if parsed.statuses:
        conditions.append(_in("c.status", sorted(parsed.statuses)))
    if parsed.owners:
        conditions.append(_owners(scope, parsed.owners))
    if parsed.queues:
        conditions.append(_queues(tenant_id, parsed.queues))
    if parsed.types:
        conditions.append(_in("lower(c.type)", list(parsed.types)))
    if parsed.senders:
        conditions.append(_senders(tenant_id, parsed.senders))
    return conditions


def _in(column: str, values: list[Any], *, none: bool = False) -> Condition:
    parts = [f"{column} IN ({', '.join(['%s'] * len(values))})"] if values else []
    if none:
        parts.append(f"{column} IS NULL")
    return Condition(" OR ".join(parts) or "FALSE", list(values))


def _owners(scope: Scope, owners: tuple[str, ...]) -> Condition:
    emails = [o for o in owners if o not in ("me", "none")]
    ids = [scope.user_id] if "me" in owners and scope.user_id is not None else []
    if emails:
        found = dict(Membership.objects.filter(tenant=scope.tenant, user__email__in=emails)
                     .values_list("user__email", "user_id"))
        missing = [e for e in emails if e not in found]
        if missing:
            raise QueryError(f"“owner:{missing[0][:80]}” is no member of this tenant.")
        ids.extend(found.values())
    return _in("c.owner_id", ids, none="none" in owners)


def _queues(tenant_id: int, names: tuple[str, ...]) -> Condition:
    wanted = [n for n in names if n != "none"]
    ids: list[int] = []
    if wanted:
        query = Q()
        for name in wanted:
            query |= Q(name__iexact=name)
        found = list(Queue.objects.filter(query, tenant_id=tenant_id).values_list("pk", "name"))
        known = {name.lower() for _, name in found}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise QueryError(f"There is no queue “{missing[0][:80]}”.")
        ids = [pk for pk, _ in found]
    return _in("c.queue_id", ids, none="none" in names)


def _senders(tenant_id: int, senders: tuple[str, ...]) -> Condition:
    """Cases someone wrote on: a note of theirs (mail, portal), a mail they sent, or the case
    of which they are the contact. Found first, each through its index (at most
    SENDER_CASES), then named by id: one condition of three ORed subqueries would have the
    planner walk every case."""
    emails = list(senders)
    notes = Note.objects.filter(tenant_id=tenant_id).exclude(author_email="").annotate(
        address=Lower("author_email")).filter(address__in=emails)
    mails = InboundMessage.objects.filter(tenant_id=tenant_id, case__isnull=False).exclude(
        sender="").annotate(address=Lower("sender")).filter(address__in=emails)
    contacts = Contact.objects.filter(tenant_id=tenant_id, email__in=emails)
    ids: set[int] = set()
    for query in (notes.values_list("case_id", flat=True),
                  mails.values_list("case_id", flat=True),
                  Case.objects.filter(tenant_id=tenant_id, contact__in=contacts)
                  .values_list("pk", flat=True)):
        ids.update(i for i in query.order_by()[:SENDER_CASES] if i is not None)
    return _in("c.id", sorted(ids)[-SENDER_CASES:])


def _candidates(scope: Scope, parsed: ParsedQuery, conditions: list[Condition]
                ) -> tuple[dict[int, float], dict[int, Match], bool]:
    """Case id → score, case id → its best match, and whether a source had more."""
    scores: dict[int, float] = defaultdict(float)
    best: dict[int, Match] = {}
    capped = False
    if not parsed.has_text:
        if not parsed.has_filters:
            return {}, {}, False
        ids = engines.filtered(tenant_id=scope.tenant.pk, conditions=conditions,
                               limit=FACET_CAP + 1)
        for position, case_id in enumerate(ids[:FACET_CAP]):
            scores[case_id] = -position  # newest first
            best[case_id] = Match("filter", case_id, case_id, 0.0)
        return scores, best, len(ids) > FACET_CAP
    sources = [index.CASE, index.NOTE, index.MAIL_IN]
    if not scope.is_customer:
        sources.append(index.MAIL_OUT)
    for source in sources:
        row_condition = "d.is_public" if scope.is_customer and source is index.NOTE else ""
        found = engines.matches(source, parsed, tenant_id=scope.tenant.pk,
                                conditions=conditions, row_condition=row_condition,
                                limit=PER_SOURCE)
        capped = capped or len(found) >= PER_SOURCE
        top: dict[int, Match] = {}
        for match in found:
            if match.case_id is not None and (
                    match.case_id not in top or match.rank > top[match.case_id].rank):
                top[match.case_id] = match
        weight = SOURCE_WEIGHTS[source.name]
        for case_id, match in top.items():
            value = weight * match.rank
            scores[case_id] += value
            if case_id not in best or value > SOURCE_WEIGHTS[best[case_id].source] * best[
                    case_id].rank:
                best[case_id] = match
    return dict(scores), best, capped


def _facets(scope: Scope, case_ids: list[int]) -> dict[str, list[FacetValue]]:
    cases = Case.objects.filter(tenant=scope.tenant, pk__in=case_ids)
    facets: dict[str, list[FacetValue]] = {}
    statuses = cases.values("status").annotate(n=Count("id")).order_by("-n", "status")
    facets["status"] = [FacetValue(row["status"], row["status"].replace("_", " ").capitalize(),
                                   row["n"], f"status:{row['status']}") for row in statuses]
    if scope.is_customer:
        return facets
    queues = cases.values("queue__name").annotate(n=Count("id")).order_by("-n", "queue__name")
    facets["queue"] = [FacetValue(row["queue__name"] or "none", row["queue__name"] or "No queue",
                                  row["n"], _operator("queue", row["queue__name"] or "none"))
                       for row in queues]
    owners = (cases.values("owner__email", "owner__full_name").annotate(n=Count("id"))
              .order_by("-n", "owner__email"))
    facets["owner"] = [
        FacetValue(row["owner__email"] or "none",
                   row["owner__full_name"] or row["owner__email"] or "Unassigned", row["n"],
                   f"owner:{row['owner__email'] or 'none'}") for row in owners]
    types = cases.exclude(type="").values("type").annotate(n=Count("id")).order_by("-n", "type")
    facets["type"] = [FacetValue(row["type"], row["type"], row["n"],
                                 _operator("type", row["type"])) for row in types]
    return facets


def _operator(name: str, value: str) -> str:
    return f'{name}:"{value}"' if " " in value else f"{name}:{value}"


def _hits(scope: Scope, parsed: ParsedQuery, page: list[int], scores: dict[int, float],
          best: dict[int, Match]) -> list[CaseHit]:
    cases = (Case.objects.filter(tenant=scope.tenant, pk__in=page)
             .select_related("tenant", "queue", "owner", "contact", "account").in_bulk())
    texts = _texts(scope, [best[case_id] for case_id in page])
    terms = parsed.highlight_terms()
    hits = []
    for case_id in page:
        case = cases.get(case_id)
        if case is None:
            continue
        match = best[case_id]
        matched = match.source
        text = f"{case.subject} — {case.description}"
        if match.source in ("note", "mail_in", "mail_out"):
            text, is_public = texts.get((match.source, match.row_id), ("", True))
            if match.source == "note":
                matched = "reply" if is_public else "internal"
        hits.append(CaseHit(case, scores[case_id], matched, snippet(text, terms)))
    return hits


def _texts(scope: Scope, matches: list[Match]) -> dict[tuple[str, int], tuple[str, bool]]:
    """The text of the notes and mail the page's best matches were found in."""
    ids: dict[str, list[int]] = defaultdict(list)
    for match in matches:
        ids[match.source].append(match.row_id)
    texts: dict[tuple[str, int], tuple[str, bool]] = {}
    notes = Note.objects.filter(tenant=scope.tenant, pk__in=ids["note"])
    if scope.is_customer:
        notes = notes.filter(is_public=True)
    for pk, body, is_public in notes.values_list("pk", "body", "is_public"):
        texts[("note", pk)] = (body, is_public)
    for pk, subject, sender in InboundMessage.objects.filter(
            tenant=scope.tenant, pk__in=ids["mail_in"]).values_list("pk", "subject", "sender"):
        texts[("mail_in", pk)] = (f"{sender}: {subject}", True)
    if not scope.is_customer:
        for pk, subject, body in OutboundMail.objects.filter(
                tenant=scope.tenant, pk__in=ids["mail_out"]).values_list("pk", "subject", "body"):
            texts[("mail_out", pk)] = (f"{subject} — {body}", True)
    return texts


def _side_results(scope: Scope, text: str, parsed: ParsedQuery, result: SearchResult) -> None:
    """Contacts, accounts (members only) and articles matching the words."""
    tenant_id = scope.tenant.pk
    if scope.is_customer:
        result.articles = public_access.search_public(scope.tenant, text, limit=SIDE_RESULTS)
        return
    result.contacts = _side_rows(Contact, index.CONTACT, parsed, tenant_id)
    result.accounts = _side_rows(Account, index.ACCOUNT, parsed, tenant_id)
    hits = kb_search.search_articles(tenant_id, text, statuses={ArticleStatus.PUBLISHED.value},
                                     limit=SIDE_RESULTS)
    articles = Article.objects.filter(tenant_id=tenant_id).in_bulk([h.article_id for h in hits])
    result.articles = [articles[h.article_id] for h in hits if h.article_id in articles]


def _side_rows[M: (Contact, Account)](model: type[M], source: index.Source, parsed: ParsedQuery,
                                      tenant_id: int) -> list[M]:
    found = engines.matches(source, parsed, tenant_id=tenant_id, conditions=[],
                            limit=PER_SOURCE)
    found.sort(key=lambda m: (-m.rank, -m.row_id))
    top = [m.row_id for m in found[:SIDE_RESULTS]]
    rows = model.objects.filter(tenant_id=tenant_id).in_bulk(top)
    return [rows[pk] for pk in top if pk in rows]

"""Bench tenants and their data: people, queues and tokens through the services, CRM records
in bulk, and N cases with one set-based INSERT … SELECT FROM generate_series on PostgreSQL.

Going through the services for tenants, members, queues and tokens keeps the set-up honest
(the same defaults, picklists and case-number sequence a real tenant gets); cases are made
in SQL because a million of them through `case_create` would take an hour. The 50 cases the
case-page figure opens get a history (notes through `case_add_note`), and the console figures
sign agents in with a session (`open_sessions`).

The case mix is what a desk two years into production looks like: about 70 % resolved or
closed, the rest spread over the open states (recent cases more often open), three queues,
ten agents, most new cases and some other open ones still unassigned.
"""

import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.db import DatabaseError, connection, transaction
from django.db.models import ForeignObjectRel, Model
from django.http import HttpRequest

from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.cases.numbering import case_numbers_prepare
from casedesk.cases.picklists import DEFAULT_CATEGORIES, DEFAULT_CLOSED_REASONS, DEFAULT_TYPES
from casedesk.cases.services import case_add_note
from casedesk.core.priority import Priority
from casedesk.crm.models import Account, Contact
from casedesk.ops.provisioning import tenant_create
from casedesk.routing.models import Queue
from casedesk.routing.queues import queue_update
from casedesk.tenancy.models import ApiToken, Membership, Role, Tenant, User
from casedesk.tenancy.services import membership_add, token_create, user_get_or_create
from casedesk.tenancy.web import SESSION_TENANT

AGENTS = 10
TOKEN_NAME = "bench"
HISTORY = timedelta(days=730)
CHUNK = 100_000  # rows per INSERT statement: bounded memory, a progress line per chunk
REBUILD_INDEXES_FROM = 100_000  # below this, maintaining the indexes row by row is cheaper

# Probability that a case is still open: rises from 15 % for the oldest to 45 % for the
# newest, 30 % overall, so ~70 % are resolved or closed as the brief asks.
OPEN_BASE, OPEN_SLOPE = 0.15, 0.30
OPEN_STATUSES: tuple[tuple[str, float], ...] = (
    ("new", 0.20),
    ("open", 0.30),
    ("in_progress", 0.30),
    ("pending_customer", 0.20),
)
DONE_STATUSES: tuple[tuple[str, float], ...] = (("resolved", 0.25), ("closed", 0.75))
PRIORITIES: tuple[tuple[int, float], ...] = ((1, 0.20), (2, 0.55), (3, 0.20), (4, 0.05))
# Queue names are the defaults `tenant_create` seeds; a few cases sit in no queue.
QUEUES: tuple[tuple[str | None, float], ...] = (
    ("Support", 0.60),
    ("Finance", 0.20),
    ("Engineering", 0.17),
    (None, 0.03),
)
SOURCES: tuple[tuple[str, float], ...] = (
    ("email", 0.45),
    ("web", 0.20),
    ("portal", 0.12),
    ("phone", 0.10),
    ("chat", 0.08),
    ("api", 0.04),
    ("slack", 0.01),
)
TAGS: tuple[tuple[str, float], ...] = (
    ('["vip"]', 0.10),
    ('["renewal", "q4"]', 0.05),
    ('["outage"]', 0.03),
    ("[]", 0.82),
)
# Unassigned share among open cases: most new ones wait in a queue, a few others bounce back.
UNASSIGNED_NEW, UNASSIGNED_OTHER_OPEN = 0.70, 0.15
NO_CONTACT = 0.08  # phone and chat cases from people nobody recorded

SUBJECTS = (
    "Cannot log in after password reset",
    "Invoice shows the wrong VAT rate",
    "Export to CSV times out",
    "Refund for duplicate charge",
    "How do I add a new user?",
    "Dashboard is very slow since this morning",
    "SSO with Okta fails with error 400",
    "Please cancel our subscription",
    "Webhook deliveries are delayed",
    "Card payment declined at renewal",
    "Data import skipped half the rows",
    "Feature request: dark mode",
    "API returns 500 on bulk update",
    "Change billing contact",
    "Training session for new team members",
    "Two-factor codes not arriving by SMS",
    "Mobile app crashes on start",
    "Report totals do not match the invoice",
    "Need a copy of last year's invoices",
    "Integration with Salesforce stopped syncing",
    "Wrong time zone in notifications",
    "Upgrade to the Enterprise plan",
    "Attachment upload fails for large PDFs",
    "User locked out after too many attempts",
    "Pricing question for 200 seats",
)
DESCRIPTIONS = (
    "Hi team, since yesterday afternoon several of our users see this problem. We tried "
    "clearing the browser cache and another browser, with the same result. Could you look "
    "into it? It blocks our month-end work. Thanks, and best regards.",
    "Hello, we were charged twice for the same period according to our bank statement. The "
    "invoice numbers are in the attachment. Please refund the duplicate charge and confirm "
    "by email when it is done.",
    "Good morning. We would like to know how to set this up for our new office. The "
    "documentation mentions a settings page we cannot find in our account. A short call "
    "would also work for us this week.",
    "The error appears every time we run the nightly job. The log shows a timeout after 30 "
    "seconds, then the job retries and fails again. Nothing changed on our side as far as "
    "we know. Our admin can share more logs if you need them.",
    "Hi, a quick question before we renew: does the plan include the reporting module, and "
    "can we add seats in the middle of the term? We need an answer before Friday.",
)
CLOSURE_NOTE = "Answered and confirmed with the customer."
REPLIES = (
    "Thanks for reporting this. I can reproduce it on our side and have passed it to the "
    "team; I will update you here as soon as I know more.",
    "Could you send us the exact time it happened and a screenshot of the error? That will "
    "let us find the request in our logs.",
    "The fix is live now. Could you try again and let us know whether it works for you?",
    "I have applied the change to your account. You should see it after signing in again.",
)
NOTES = (
    "Checked the logs: the request times out in the export worker, not in the web tier.",
    "Customer is on the Enterprise plan, renewal next month. Keep them posted daily.",
    "Same symptom as last week's incident; linking for the engineering review.",
    "Called the customer, no answer. Will try again tomorrow morning.",
)
# The case-page figure opens 50 cases: (open?, with an account?, how many). Their history is
# made once (they are picked the same way on every run); the first LONG_THREADS get 60 notes,
# more than the page's 50 timeline entries.
PAGE_CASE_MIX: tuple[tuple[bool, bool, int], ...] = (
    (True, True, 20),
    (True, False, 10),
    (False, True, 12),
    (False, False, 8),
)
PAGE_CASE_SEED = 1042
LONG_THREADS = 2
SESSION_SECONDS = 3600


@dataclass
class BenchTenant:
    """One bench tenant and the handles the benchmarks need."""

    tenant: Tenant
    agent_ids: list[int]
    queue_ids: dict[str, int]
    contacts: list[tuple[int, int | None]]  # (contact id, its account id)
    tokens: dict[int, str] = field(default_factory=dict)  # user id -> bearer secret
    cookies: dict[int, str] = field(default_factory=dict)  # user id -> console Cookie header
    session_keys: list[str] = field(default_factory=list)
    page_cases: list[tuple[str, str]] = field(default_factory=list)  # (number, kind)

    @property
    def me(self) -> int:
        """The agent the list and inbox benchmarks act as."""
        return self.agent_ids[0]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def crm_size(n_cases: int) -> int:
    """Accounts for a tenant of n_cases: bigger desks serve more customers (four contacts
    each)."""
    return max(50, min(5000, n_cases // 200))


def ensure_tenant(slug: str, name: str, n_accounts: int) -> BenchTenant:
    """The bench tenant with ten agents in three queues and its accounts and contacts;
    idempotent, so a second run reuses all of it."""
    tenant = Tenant.objects.filter(slug=slug).first()
    domain = f"{slug}.bench.invalid"
    if tenant is None:
        tenant = tenant_create(
            slug=slug, name=name, admin_email=f"admin@{domain}", admin_name=f"{name} admin"
        )
    manager_user = user_get_or_create(email=f"manager@{domain}", full_name="Maya Manager")
    manager = membership_add(tenant=tenant, user=manager_user, role=Role.MANAGER)
    agent_ids: list[int] = []
    for k in range(1, AGENTS + 1):
        user = user_get_or_create(email=f"agent{k:02d}@{domain}", full_name=f"Agent {k:02d}")
        membership_add(tenant=tenant, user=user, role=Role.AGENT, manager=manager)
        agent_ids.append(user.pk)
    queues = {q.name: q for q in Queue.objects.filter(tenant=tenant)}
    # Agent 1 (the one the benchmarks act as) works Support and Engineering, so the inbox
    # merges three streams: own cases and two queues.
    members = {
        "Support": agent_ids[:6],
        "Finance": agent_ids[6:8],
        "Engineering": [agent_ids[0], *agent_ids[8:]],
    }
    for queue_name, ids in members.items():
        queue = queues[queue_name]
        if set(queue.members.values_list("user_id", flat=True)) != set(ids):
            queue_update(queue=queue, changes={"member_ids": ids})
    _ensure_crm(tenant, n_accounts, domain)
    contacts: list[tuple[int, int | None]] = list(
        Contact.objects.filter(tenant=tenant).order_by("pk").values_list("pk", "account_id")
    )
    return BenchTenant(
        tenant=tenant,
        agent_ids=agent_ids,
        queue_ids={name: q.pk for name, q in queues.items()},
        contacts=contacts,
    )


def _ensure_crm(tenant: Tenant, n_accounts: int, domain: str) -> None:
    """Accounts with four contacts each; bulk_create because a CRM import is not what we
    measure, and the rows are plain (no case, no timeline)."""
    have = Account.objects.filter(tenant=tenant).count()
    if have < n_accounts:
        Account.objects.bulk_create(
            [
                Account(
                    tenant=tenant,
                    name=f"Customer {k:05d}",
                    domain=f"c{k:05d}.{domain}",
                    tier=("Enterprise", "Mid-market", "SMB")[k % 3],
                )
                for k in range(have + 1, n_accounts + 1)
            ],
            batch_size=2000,
        )
    accounts = list(
        Account.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)
    )
    have_contacts = Contact.objects.filter(tenant=tenant).count()
    wanted = 4 * len(accounts)
    if have_contacts < wanted:
        Contact.objects.bulk_create(
            [
                Contact(
                    tenant=tenant,
                    account_id=accounts[k % len(accounts)],
                    name=f"Contact {k:06d}",
                    email=f"contact{k:06d}@{domain}",
                )
                for k in range(have_contacts, wanted)
            ],
            batch_size=2000,
        )


def issue_tokens(bench: BenchTenant, user_ids: Sequence[int]) -> None:
    """Fresh tokens for this run (secrets are shown once); last run's bench tokens go."""
    memberships = Membership.objects.filter(tenant=bench.tenant, user_id__in=user_ids)
    ApiToken.objects.filter(membership__in=memberships, name=TOKEN_NAME).delete()
    for membership in memberships.select_related("tenant", "user"):
        bench.tokens[membership.user_id] = token_create(
            membership=membership, name=TOKEN_NAME
        ).secret


def open_sessions(bench: BenchTenant, user_ids: Sequence[int]) -> None:
    """Signs the agents in to the console as the login view does (`django.contrib.auth.login`
    on a session of the configured engine), working in the bench tenant. Each agent's Cookie
    header carries that session and the CSRF cookie a browser would send back, so the pages
    run as for a signed-in agent. The sessions expire within the hour; `close_sessions`
    removes them sooner."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    # The backend that signs people in; the first one (django-axes') only counts failures.
    backend = "django.contrib.auth.backends.ModelBackend"
    for user in User.objects.filter(pk__in=user_ids):
        request = HttpRequest()
        request.session = store()
        login(request, user, backend=backend)
        request.session[SESSION_TENANT] = bench.tenant.pk
        request.session.set_expiry(SESSION_SECONDS)
        request.session.save()
        bench.cookies[user.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={request.META['CSRF_COOKIE']}"
        )
        bench.session_keys.append(str(request.session.session_key))


def close_sessions(bench: BenchTenant) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in bench.session_keys:
        store(session_key=key).delete()
    bench.session_keys.clear()
    bench.cookies.clear()


# --- Cases for the case page -------------------------------------------------------------------


def page_cases(bench: BenchTenant) -> list[tuple[str, str]]:
    """The cases the case-page figure opens, as (number as shown, kind): PAGE_CASE_MIX of
    open and resolved/closed cases with and without an account, drawn the same way on every
    run. The bulk load makes cases without history, so each of these gets one
    (`_give_history`) unless it has some already."""
    top = (
        Case.objects.filter(tenant=bench.tenant)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    if top is None:
        raise RuntimeError(f"{bench.tenant.slug} has no cases for the case page")
    rng = random.Random(PAGE_CASE_SEED)
    candidates = rng.sample(range(1, top + 1), min(top, 4000))
    rows = {
        number: (status, account_id)
        for number, status, account_id in Case.objects.filter(
            tenant=bench.tenant, number__in=candidates
        ).values_list("number", "status", "account_id")
    }
    open_values = {status for status, _ in OPEN_STATUSES}
    wanted = {(is_open, with_account): k for is_open, with_account, k in PAGE_CASE_MIX}
    chosen: list[tuple[int, str]] = []
    for number in candidates:
        if number not in rows:
            continue
        status, account_id = rows[number]
        key = (status in open_values, account_id is not None)
        if wanted.get(key, 0) > 0:
            wanted[key] -= 1
            kind = ("open" if key[0] else "done") + ("+account" if key[1] else "")
            chosen.append((number, kind))
    if any(wanted.values()):
        raise RuntimeError(f"{bench.tenant.slug}: too few cases of each kind for the case page")
    numbers = [number for number, _ in chosen]
    have_history = set(
        TimelineEvent.objects.filter(tenant=bench.tenant, case__number__in=numbers)
        .values_list("case__number", flat=True)
        .distinct()
    )
    missing = [n for n in numbers if n not in have_history]
    if missing:
        started = time.perf_counter()
        agents = {u.pk: u for u in User.objects.filter(pk__in=bench.agent_ids)}
        for position, number in enumerate(numbers):
            if number in missing:
                case = Case.objects.select_related("tenant").get(tenant=bench.tenant, number=number)
                # The first two carry long threads, so the timeline's "older" page shows too.
                _give_history(bench, case, agents, long=position < LONG_THREADS)
        log(
            f"{bench.tenant.slug}: history for {len(missing)} case-page cases in "
            f"{time.perf_counter() - started:.1f} s"
        )
    prefix = bench.tenant.case_prefix
    return [(f"{prefix}-{number}", kind) for number, kind in chosen]


def _give_history(bench: BenchTenant, case: Case, agents: dict[int, User], *, long: bool) -> None:
    """What a case's timeline holds after its life so far: the creation, a queue move or a
    priority change now and then, the claim, an exchange of customer messages, replies and
    internal notes (through `case_add_note`, as the console writes them), and for a resolved
    or closed case the status changes with the closing note. Events the services cannot
    replay for a case that is already in its final state (creation, claim, status changes)
    are written with the values the services give them."""
    rng = random.Random(case.number)
    now = datetime.now(UTC)
    created = case.created_at
    agent = agents.get(case.owner_id or 0) or agents[rng.choice(bench.agent_ids[:6])]
    notes_until = case.resolved_at or min(now, created + timedelta(days=20))
    count = 60 if long else rng.randint(2, 8)
    moments = sorted(created + rng.random() * (notes_until - created) for _ in range(count + 3))
    moments = [max(m, created + timedelta(seconds=1)) for m in moments]
    updated_at = case.updated_at

    def event(kind: str, actor: User | None, at: datetime, **values: Any) -> None:
        TimelineEvent.objects.create(
            tenant_id=case.tenant_id, case=case, actor=actor, kind=kind, created_at=at, **values
        )

    with transaction.atomic():
        event(
            EventKind.CREATED,
            None if case.contact_id else agent,
            created,
            new_value={
                "status": "new",
                "priority": Priority(case.priority).label,
                "queue_id": case.queue_id,
                "owner_id": None,
                "source": case.source,
            },
        )
        others = [q for q in bench.queue_ids.values() if q != case.queue_id]
        if case.queue_id is not None and rng.random() < 0.3:
            event(
                EventKind.FIELD_CHANGED,
                agent,
                moments.pop(0),
                field="queue_id",
                old_value=rng.choice(others),
                new_value=case.queue_id,
            )
        if case.priority != Priority.NORMAL and rng.random() < 0.5:
            event(
                EventKind.FIELD_CHANGED,
                agent,
                moments.pop(0),
                field="priority",
                old_value=Priority.NORMAL.label,
                new_value=Priority(case.priority).label,
            )
        if case.owner_id is not None or case.status != "new":
            # The agent takes the case (when it has an owner) and starts on it.
            at = moments.pop(0)
            if case.owner_id is not None:
                event(
                    EventKind.CLAIMED,
                    agent,
                    at,
                    field="owner_id",
                    old_value=None,
                    new_value=agent.pk,
                    message=f"Claimed by {agent.display_name}.",
                )
            if case.status != "new":
                event(
                    EventKind.STATUS_CHANGED,
                    agent,
                    at,
                    field="status",
                    old_value="new",
                    new_value="open",
                )
        texts: Sequence[str]
        for k, at in enumerate(moments[:count]):
            turn = k % 3 if case.status != "new" else 0
            if turn == 0 and case.contact_id:  # the customer writes
                actor, public, texts = None, True, DESCRIPTIONS
            elif turn == 1:  # the agent replies
                actor, public, texts = agent, True, REPLIES
            else:  # an internal note
                actor, public, texts = agent, False, NOTES
            body = texts[(case.number + k) % len(texts)]
            case_add_note(case=case, actor=actor, body=body, is_public=public, now=at)
        if case.resolved_at is not None:
            note = Note.objects.create(
                tenant_id=case.tenant_id,
                case=case,
                author=agent,
                body=case.closure_note or CLOSURE_NOTE,
                is_public=False,
                created_at=case.resolved_at,
            )
            event(
                EventKind.STATUS_CHANGED,
                agent,
                case.resolved_at,
                field="status",
                old_value="open" if case.owner_id is None else "in_progress",
                new_value="resolved",
                note=note,
            )
        if case.closed_at is not None:
            event(
                EventKind.STATUS_CHANGED,
                agent,
                case.closed_at,
                field="status",
                old_value="resolved",
                new_value="closed",
            )
        # The notes moved `updated_at` back to their own times: keep the loaded value.
        Case.objects.filter(pk=case.pk).update(updated_at=updated_at)


def case_count(tenant: Tenant) -> int:
    return Case.objects.filter(tenant=tenant).count()


def _relations_to(model: type[Model]) -> list[ForeignObjectRel]:
    """Every relation pointing at `model`, including those declared with related_name="+"
    (which `_meta.related_objects` leaves out)."""
    return [
        f for f in model._meta.get_fields(include_hidden=True) if isinstance(f, ForeignObjectRel)
    ]


def _case_dependents() -> tuple[list[tuple[str, str]], bool]:
    """The (table, column) of every foreign key to a case, in an order that deletes rows
    pointing at other dependents first, and whether nothing outside that set (and Case)
    points at them: only then may the foreign-key triggers be skipped safely. Read from the
    models, so the apps that add tables later are covered too."""
    dependents: dict[type[Model], str] = {}
    closed = True
    for rel in _relations_to(Case):
        column = getattr(rel.field, "column", None)
        if rel.many_to_many or not isinstance(column, str):
            closed = False  # a link table: not deleted here, so the checks must stay on
        elif rel.related_model is not Case:
            dependents[rel.related_model] = column
    pointing: dict[type[Model], set[type[Model]]] = {}
    for model in dependents:
        pointing[model] = {rel.related_model for rel in _relations_to(model)}
        if not pointing[model] <= {*dependents, Case}:
            closed = False
    order: list[tuple[str, str]] = []
    remaining = set(dependents)
    for _ in range(len(dependents) + 1):  # a model goes once nothing left points at it
        ready = {m for m in remaining if not (pointing[m] & remaining) - {m}}
        if not ready:
            break
        order += [(m._meta.db_table, dependents[m]) for m in sorted(ready, key=str)]
        remaining -= ready
    order += [(m._meta.db_table, dependents[m]) for m in sorted(remaining, key=str)]
    return order, closed


def delete_cases(tenant: Tenant, *, above: int = 0) -> int:
    """Removes a bench tenant's cases numbered above `above` and every row pointing at them,
    set-based (the ORM would walk every row to cascade). Returns how many cases went."""
    scope = "SELECT id FROM cases_case WHERE tenant_id = %s AND number > %s"
    dependents, closed = _case_dependents()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and closed:
            # Everything that points at these cases goes first, explicitly; the per-row
            # foreign-key checks would only repeat that (measured: 109 s for a million).
            _skip_foreign_key_triggers(cursor)
        for table, column in dependents:
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({scope})", [tenant.pk, above])
        cursor.execute(
            "UPDATE cases_case SET follow_up_of_id = NULL WHERE tenant_id = %s "
            f"AND follow_up_of_id IN ({scope})",
            [tenant.pk, tenant.pk, above],
        )
        cursor.execute(
            "DELETE FROM cases_case WHERE tenant_id = %s AND number > %s", [tenant.pk, above]
        )
        return int(cursor.rowcount)


def ensure_cases(bench: BenchTenant, n: int, *, reload: bool = False) -> float | None:
    """Gives the tenant exactly n loaded cases; returns the load time in seconds, or None
    when the cases from an earlier run were reused."""
    have = case_count(bench.tenant)
    if have == n and not reload:
        log(f"{bench.tenant.slug}: reusing {n:,} cases")
        return None
    if have:
        started = time.perf_counter()
        delete_cases(bench.tenant)
        log(
            f"{bench.tenant.slug}: deleted {have:,} cases in "
            f"{time.perf_counter() - started:.1f} s before loading {n:,}"
        )
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        _load_postgresql(bench, n)
    else:
        _load_python(bench, n)
    case_numbers_prepare(bench.tenant)
    elapsed = time.perf_counter() - started
    log(f"{bench.tenant.slug}: loaded {n:,} cases in {elapsed:.1f} s")
    return elapsed


# --- PostgreSQL: one INSERT … SELECT per chunk ------------------------------------------------


def _literal(value: object) -> str:
    """SQL literal for the constant tables above (never user input)."""
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _sql_pick(
    draw: str, weights: Sequence[tuple[Any, float]], render: Callable[[Any], str] = _literal
) -> str:
    """A CASE expression choosing by cumulative weight from a uniform draw in [0, 1)."""
    parts, total = [], 0.0
    for value, weight in weights[:-1]:
        total += weight
        parts.append(f"WHEN {draw} < {total:.6f} THEN {render(value)}")
    return f"(CASE {' '.join(parts)} ELSE {render(weights[-1][0])} END)"


def classifications() -> list[tuple[str, str, str]]:
    """Type, category and subcategory triples that pass the default picklists."""
    pairs = [(cat, sub) for cat, subs in DEFAULT_CATEGORIES.items() for sub in subs]
    return [
        (DEFAULT_TYPES[k % len(DEFAULT_TYPES)], *pairs[k % len(pairs)])
        for k in range(len(DEFAULT_TYPES) * len(pairs))
    ]


def _case_insert_sql() -> str:
    queue_sql = _sql_pick(
        "r_queue", QUEUES, lambda name: "NULL" if name is None else f"%(q_{name})s"
    )
    open_status = _sql_pick("r_status", OPEN_STATUSES)
    done_status = _sql_pick("r_status", DONE_STATUSES)
    # The inner query draws every random number once per row (volatile functions are not
    # pulled up), the middle one derives status and times, the outer one the columns.
    return f"""
    INSERT INTO cases_case (
        tenant_id, number, subject, description, status, sub_status, priority, type,
        category, subcategory, source, language, tags, custom_fields, created_at, updated_at,
        first_response_at, resolved_at, closed_at, closed_reason, closure_note, reopen_count,
        account_id, contact_id, queue_id, owner_id)
    SELECT %(tenant)s, i,
        (%(subjects)s::text[])[1 + floor(r_text * %(n_subjects)s)::int],
        (%(descriptions)s::text[])[1 + floor(r_text2 * %(n_descriptions)s)::int],
        status, '', {_sql_pick("r_pri", PRIORITIES)},
        (%(types)s::text[])[cls], (%(categories)s::text[])[cls],
        (%(subcategories)s::text[])[cls],
        {_sql_pick("r_source", SOURCES)}, '', {_sql_pick("r_tags", TAGS)}::jsonb,
        '{{}}'::jsonb,
        created, COALESCE(closed, resolved, responded, created),
        responded, resolved, closed,
        CASE WHEN status = 'closed'
             THEN (%(reasons)s::text[])[1 + floor(r_text * %(n_reasons)s)::int] ELSE '' END,
        CASE WHEN status IN ('resolved', 'closed') THEN %(closure_note)s ELSE '' END,
        0,
        CASE WHEN contact_ix > 0 THEN (%(contact_accounts)s::bigint[])[contact_ix] END,
        CASE WHEN contact_ix > 0 THEN (%(contacts)s::bigint[])[contact_ix] END,
        {queue_sql},
        CASE WHEN (status = 'new' AND r_owner < {UNASSIGNED_NEW})
               OR (status IN ('open', 'in_progress', 'pending_customer')
                   AND r_owner < {UNASSIGNED_OTHER_OPEN})
             THEN NULL
             ELSE (%(agents)s::bigint[])[1 + floor(r_agent * %(n_agents)s)::int] END
    FROM (
        SELECT t.*,
            CASE WHEN status = 'new' THEN NULL
                 ELSE LEAST(created + r_resp * interval '8 hours', %(now)s) END AS responded,
            CASE WHEN status IN ('resolved', 'closed')
                 THEN LEAST(created + (1 + r_res * 120) * interval '1 hour', %(now)s)
            END AS resolved,
            CASE WHEN status = 'closed'
                 THEN LEAST(created + (1 + r_res * 120) * interval '1 hour'
                            + interval '3 days', %(now)s)
            END AS closed,
            CASE WHEN r_contact < {NO_CONTACT} THEN 0
                 ELSE 1 + floor((r_contact - {NO_CONTACT}) / {1 - NO_CONTACT}
                                * %(n_contacts)s)::int END AS contact_ix,
            1 + floor(r_class * %(n_classes)s)::int AS cls
        FROM (
            SELECT s.*,
                CASE WHEN r_open < {OPEN_BASE} + {OPEN_SLOPE} * age THEN {open_status}
                     ELSE {done_status} END AS status,
                %(start)s + age * %(span)s - r_jitter * interval '30 minutes' AS created
            FROM (
                SELECT g.i, g.i::float8 / %(n)s AS age,
                    random() AS r_open, random() AS r_status, random() AS r_pri,
                    random() AS r_queue, random() AS r_owner, random() AS r_agent,
                    random() AS r_contact, random() AS r_text, random() AS r_text2,
                    random() AS r_class, random() AS r_source, random() AS r_tags,
                    random() AS r_resp, random() AS r_res, random() AS r_jitter
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g(i)
            ) AS s
        ) AS t
    ) AS u
    """


def _load_postgresql(bench: BenchTenant, n: int) -> None:
    now = datetime.now(UTC)
    classes = classifications()
    params: dict[str, Any] = {
        "tenant": bench.tenant.pk,
        "n": n,
        "now": now,
        "start": now - HISTORY,
        "span": HISTORY,
        "subjects": list(SUBJECTS),
        "n_subjects": len(SUBJECTS),
        "descriptions": list(DESCRIPTIONS),
        "n_descriptions": len(DESCRIPTIONS),
        "types": [c[0] for c in classes],
        "categories": [c[1] for c in classes],
        "subcategories": [c[2] for c in classes],
        "n_classes": len(classes),
        "reasons": list(DEFAULT_CLOSED_REASONS[:1] * 6 + DEFAULT_CLOSED_REASONS[1:]),
        "closure_note": CLOSURE_NOTE,
        "contacts": [c for c, _ in bench.contacts],
        "contact_accounts": [a for _, a in bench.contacts],
        "n_contacts": len(bench.contacts),
        "agents": bench.agent_ids,
        "n_agents": len(bench.agent_ids),
        **{f"q_{name}": pk for name, pk in bench.queue_ids.items()},
    }
    params["n_reasons"] = len(params["reasons"])
    sql = _case_insert_sql()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Every id written is taken from rows that exist, so the per-row foreign-key
        # triggers (deferred to COMMIT, a million index probes each) would add only time.
        _skip_foreign_key_triggers(cursor)
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Maintaining ~20 indexes row by row costs 4x what building them afterwards does
        # (measured: 80 s against 20 s + 34 s for a million rows). Inside this transaction
        # the drop is undone if the load fails, so the table never stays without them.
        rebuild = _secondary_indexes(cursor) if n >= REBUILD_INDEXES_FROM else []
        for name, _definition in rebuild:
            cursor.execute(f'DROP INDEX "{name}"')
        for first in range(1, n + 1, CHUNK):
            last = min(n, first + CHUNK - 1)
            cursor.execute(sql, {**params, "first": first, "last": last})
            if n > CHUNK:
                log(f"  {last:,} / {n:,} rows ({time.perf_counter() - started:.0f} s)")
        if rebuild:
            log(f"  rebuilding {len(rebuild)} indexes")
        for _name, definition in rebuild:
            cursor.execute(definition)
    log(f"  rows and indexes in {time.perf_counter() - started:.0f} s; VACUUM ANALYZE")
    # Fresh statistics for the planner, and a visibility map so counts can be index-only.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) cases_case")
        cursor.execute("ANALYZE crm_account, crm_contact")


def _skip_foreign_key_triggers(cursor: Any) -> None:
    """For the rest of the transaction, when the role may (a superuser): foreign keys are
    checked by triggers, which a replica session does not fire."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        log("cannot skip foreign-key triggers (not a superuser): keeping them, slower")


def _secondary_indexes(cursor: Any) -> list[tuple[str, str]]:
    """Name and CREATE statement of each index on cases_case that no constraint owns."""
    cursor.execute("""
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'cases_case'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname""")
    return [(str(name), str(definition)) for name, definition in cursor.fetchall()]


# --- Anything else (SQLite): the same mix drawn in Python ---------------------------------------


def pick[T](rng: random.Random, weights: Sequence[tuple[T, float]]) -> T:
    draw, total = rng.random(), 0.0
    for value, weight in weights[:-1]:
        total += weight
        if draw < total:
            return value
    return weights[-1][0]


def _load_python(bench: BenchTenant, n: int) -> None:
    import json

    rng = random.Random(20261123)
    now = datetime.now(UTC)
    classes = classifications()
    batch: list[Case] = []
    with transaction.atomic():
        for i in range(1, n + 1):
            age = i / n
            if rng.random() < OPEN_BASE + OPEN_SLOPE * age:
                status = pick(rng, OPEN_STATUSES)
            else:
                status = pick(rng, DONE_STATUSES)
            created = now - HISTORY + age * HISTORY - rng.random() * timedelta(minutes=30)
            responded = (
                None if status == "new" else min(created + rng.random() * timedelta(hours=8), now)
            )
            resolved = closed = None
            if status in ("resolved", "closed"):
                resolved = min(created + (1 + rng.random() * 120) * timedelta(hours=1), now)
            if status == "closed" and resolved is not None:
                closed = min(resolved + timedelta(days=3), now)
            unassigned = rng.random() < (
                UNASSIGNED_NEW if status == "new" else UNASSIGNED_OTHER_OPEN
            )
            is_open = status not in ("resolved", "closed")
            contact_id, account_id = (None, None)
            if rng.random() >= NO_CONTACT:
                contact_id, account_id = rng.choice(bench.contacts)
            queue_name = pick(rng, QUEUES)
            type_, category, subcategory = rng.choice(classes)
            batch.append(
                Case(
                    tenant_id=bench.tenant.pk,
                    number=i,
                    subject=rng.choice(SUBJECTS),
                    description=rng.choice(DESCRIPTIONS),
                    status=status,
                    priority=pick(rng, PRIORITIES),
                    type=type_,
                    category=category,
                    subcategory=subcategory,
                    source=pick(rng, SOURCES),
                    tags=json.loads(pick(rng, TAGS)),
                    custom_fields={},
                    created_at=created,
                    updated_at=closed or resolved or responded or created,
                    first_response_at=responded,
                    resolved_at=resolved,
                    closed_at=closed,
                    closed_reason="Resolved" if status == "closed" else "",
                    closure_note=CLOSURE_NOTE if not is_open else "",
                    account_id=account_id,
                    contact_id=contact_id,
                    queue_id=bench.queue_ids[queue_name] if queue_name else None,
                    owner_id=None if is_open and unassigned else rng.choice(bench.agent_ids),
                )
            )
            if len(batch) >= 2000:
                Case.objects.bulk_create(batch)
                batch.clear()
        Case.objects.bulk_create(batch)

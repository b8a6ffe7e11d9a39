"""The `demo` tenant: realistic staff, customers and cases whose timelines are true.

Two halves. `plan_cases` is pure: from a fixed seed and a clock reading it decides what each
case is about and the story of its life (who claimed it, what they wrote, when it moved).
`demo_build` makes that real through the ordinary services only, handing each call its
backdated `now`, so every demo case carries exactly the timeline the services write for real
work; no case or timeline row is written behind their back. Running it again tops the tenant
up to the same counts, so it is idempotent.
"""

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.lifecycle import ReopenPolicy, Status
from casedesk.cases.models import Case, CaseAssignment, Source
from casedesk.cases.ownership import case_change_owner, case_claim
from casedesk.cases.picklists import picklists_seed_defaults
from casedesk.cases.referrals import assignment_close, assignment_open
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.core import clock
from casedesk.core.priority import Priority
from casedesk.crm.models import Account, Contact, Deal
from casedesk.crm.services import (
    account_create,
    account_update,
    contact_create,
    contact_update,
    deal_create,
)
from casedesk.demo import content
from casedesk.demo.content import Company, Issue, Person, Topic
from casedesk.mail.outbox import mail_suppressed
from casedesk.ops.provisioning import tenant_create
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement, Strategy
from casedesk.routing.queues import queue_create, queue_update, queues_seed_defaults
from casedesk.routing.services import RuleInput, rule_create, skill_requirements_set
from casedesk.sla.policies import sla_seed_defaults
from casedesk.tenancy.models import Membership, Role, Tenant, User
from casedesk.tenancy.services import membership_add, user_get_or_create

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Support Co"
DEMO_CASES = 600
# One seed for everything, so two installs (and two runs) get the same demo.
SEED = 20261123

# The end status of every 20 consecutive cases: most cases in a desk's history are closed,
# and each open status has enough cases to fill a board column. The first six differ so that
# even a tiny demo (tests) shows every status.
_STATUS_BLOCK = (
    [Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED,
     Status.CLOSED]
    + [Status.CLOSED] * 8 + [Status.IN_PROGRESS] * 2
    + [Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED]
)
# How long ago (in days) a case that ended in each status was created.
_AGE_DAYS: dict[Status, tuple[float, float]] = {
    Status.NEW: (0.02, 1.5),
    Status.OPEN: (0.1, 4),
    Status.IN_PROGRESS: (0.5, 20),
    Status.PENDING_CUSTOMER: (1, 25),
    Status.RESOLVED: (0.5, 8),
    Status.CLOSED: (3, 90),
}
_SOURCES = ((Source.EMAIL, 35), (Source.WEB, 18), (Source.PORTAL, 15), (Source.PHONE, 10),
            (Source.CHAT, 12), (Source.API, 5), (Source.SLACK, 5))
_CURRENCY = {"EMEA": "€", "AMER": "$", "APAC": "A$"}
_DAY = 24 * 60.0  # minutes


# --- What the demo is made of (pure) -------------------------------------------------------


@dataclass(frozen=True)
class ContactSpec:
    """A customer contact of the demo, keyed by its email."""

    email: str
    name: str
    phone: str
    domain: str  # the account's domain


@dataclass(frozen=True)
class Step:
    """One service call in a case's life. `actor` is a staff email; None is the customer."""

    at: datetime
    action: str  # claim, reply, note, move, refer, refer_close, reassign, escalate
    actor: str | None
    text: str = ""
    target: str = ""  # the status, queue name, new owner's email or priority
    closed_reason: str = ""


@dataclass(frozen=True)
class CasePlan:
    """Everything about one demo case: what `case_create` gets, then the steps that follow."""

    index: int
    status: Status  # the status the steps end in
    created_at: datetime
    subject: str
    description: str
    type: str
    category: str
    subcategory: str
    priority: int
    source: str
    tags: tuple[str, ...]
    queue: str
    account_domain: str
    contact_email: str
    deal_name: str
    creator: str | None
    steps: tuple[Step, ...]


def contact_specs() -> list[ContactSpec]:
    """The demo's contacts, a handful per account by tier, with unique emails at its domain."""
    specs = []
    for company in content.COMPANIES:
        rng = random.Random(f"{SEED}:contacts:{company.domain}")
        index = content.COMPANIES.index(company)
        sizes = content.CONTACTS_PER_TIER[company.tier]
        names: list[str] = []
        while len(names) < sizes[index % len(sizes)]:
            name = f"{rng.choice(content.FIRST_NAMES)} {rng.choice(content.LAST_NAMES)}"
            if name.split()[0] not in {n.split()[0] for n in names}:
                names.append(name)
        phone_format = content.PHONE_FORMATS[company.territory]
        for name in names:
            email = f"{name.replace(' ', '.').lower()}@{company.domain}"
            phone = phone_format.format(rng.randrange(100 if company.territory == "AMER"
                                                      else 1000))
            specs.append(ContactSpec(email=email, name=name, phone=phone,
                                     domain=company.domain))
    return specs


def _team(queue: str) -> list[Person]:
    return [p for p in content.STAFF if queue in p.teams and p.role == Role.AGENT]


def _team_manager(queue: str) -> Person:
    return next(p for p in content.STAFF if queue in p.teams and p.role == Role.MANAGER)


class _Story:
    """Writes one case's steps in order, on a clock counted in minutes after creation."""

    def __init__(self, rng: random.Random, values: dict[str, str], owner: str) -> None:
        self.rng = rng
        self.values = values
        self.owner = owner
        self.minutes = 0.0
        self.raw: list[tuple[float, str, str | None, str, str, str]] = []

    def wait(self, low: float, high: float) -> None:
        # Log-uniform: most waits are short and a few are long, as in a real queue.
        self.minutes += low * (high / low) ** self.rng.random()

    def say(self, templates: Sequence[str]) -> str:
        return self.rng.choice(templates).format_map(self.values)

    def add(self, action: str, actor: str | None, text: str = "", target: str = "",
            closed_reason: str = "") -> None:
        self.raw.append((self.minutes, action, actor, text, target, closed_reason))

    def move(self, to: Status, *, by: str | None, note: Sequence[str] = (),
             closed_reason: str = "") -> None:
        self.add("move", by, self.say(note) if note else "", to.value, closed_reason)

    def steps(self, created_at: datetime, until: datetime) -> tuple[Step, ...]:
        """The steps at real times; a story longer than the case's age is squeezed to fit."""
        room = (until - created_at).total_seconds() / 60
        last = self.raw[-1][0] if self.raw else 0.0
        scale = min(1.0, room / last) if last > 0 else 1.0
        return tuple(
            Step(at=created_at + timedelta(seconds=int(minutes * scale * 60)), action=action,
                 actor=actor, text=text, target=target, closed_reason=reason)
            for minutes, action, actor, text, target, reason in self.raw
        )


def _live(s: _Story, *, topic: Topic, issue: Issue, target: Status, queue: str,
          priority: int, quick_claim: bool, policy: ReopenPolicy) -> None:
    """Tells the life of one case up to `target`, through moves the lifecycle allows."""
    rng = s.rng
    if target == Status.NEW:
        return
    if quick_claim:  # the agent who took the call or chat logs the case and keeps it
        s.wait(0.5, 3)
    else:
        s.wait(5, 300)
    s.add("claim", s.owner)
    if target == Status.OPEN:
        if rng.random() < 0.6:
            s.wait(2, 90)
            s.add("reply", s.owner, s.say(content.ACKS))
        return
    s.wait(2, 90)
    s.add("reply", s.owner, s.say(content.ACKS))
    manager = _team_manager(queue).email
    refer = topic.refer_to not in ("", queue) and rng.random() < topic.refer_rate
    if refer and rng.random() < 0.3:
        # Referred straight from open: the service itself moves the case to in progress.
        s.wait(10, 240)
        s.add("refer", s.owner, s.say(topic.refer_texts), topic.refer_to)
    else:
        s.wait(10, 480)
        s.move(Status.IN_PROGRESS, by=s.owner)
        if refer:
            s.wait(10, 240)
            s.add("refer", s.owner, s.say(topic.refer_texts), topic.refer_to)
    if rng.random() < 0.5:
        s.wait(10, 600)
        s.add("note", s.owner, s.say(topic.notes or content.GENERIC_NOTES))
    if priority < Priority.URGENT and rng.random() < 0.07:
        s.wait(30, 600)
        s.add("escalate", manager, target=str(priority + 1))
        s.add("note", manager, s.say(content.ESCALATION_NOTES))
    others = [p.email for p in _team(queue) if p.email != s.owner]
    if others and rng.random() < 0.08:
        s.wait(60, _DAY)
        s.owner = rng.choice(others)
        s.add("reassign", manager, target=s.owner)
    if refer:
        if target == Status.IN_PROGRESS and rng.random() < 0.65:
            return  # still waiting for the other team
        s.wait(60, 3 * _DAY)
        closer = rng.choice(_team(topic.refer_to)).email
        s.add("refer_close", closer, s.say(topic.refer_closes))
    asks = topic.asks or content.GENERIC_ASKS
    if target == Status.PENDING_CUSTOMER or rng.random() < 0.35:
        s.wait(20, 600)
        s.add("reply", s.owner, s.say(asks))
        s.move(Status.PENDING_CUSTOMER, by=s.owner)
        if target == Status.PENDING_CUSTOMER:
            return
        # The customer answers; their reply is what moves the case back (no staff actor).
        s.wait(120, 2 * _DAY)
        s.move(Status.IN_PROGRESS, by=None)
        s.add("note", s.owner, s.say(content.CUSTOMER_BACK_NOTES))
    if target == Status.IN_PROGRESS:
        return
    _resolve_and_close(s, topic=topic, issue=issue, target=target, asks=asks, policy=policy)


def _resolve_and_close(s: _Story, *, topic: Topic, issue: Issue, target: Status,
                       asks: Sequence[str], policy: ReopenPolicy) -> None:
    rng = s.rng
    roll = rng.random()
    close_note: Sequence[str]
    if roll < 0.05:
        s.wait(10, 240)
        s.add("reply", s.owner, s.say(content.DUPLICATE_REPLIES))
        s.move(Status.RESOLVED, by=s.owner, note=content.DUPLICATE_NOTES)
        reason, close_note = "Duplicate", ("Closing as a duplicate.",)
    elif roll < 0.12:
        s.wait(20, 600)
        s.add("reply", s.owner, s.say(asks))
        s.move(Status.PENDING_CUSTOMER, by=s.owner)
        s.wait(2 * _DAY, 3 * _DAY)
        s.add("reply", s.owner, s.say(content.REMINDERS))
        s.wait(2 * _DAY, 4 * _DAY)
        s.move(Status.RESOLVED, by=s.owner, note=content.UNRESPONSIVE_NOTES)
        reason, close_note = "Customer unresponsive", ("No reply from the customer; closing.",)
    else:
        s.wait(30, 2 * _DAY)
        s.add("reply", s.owner, s.say((issue.solution,)))
        s.move(Status.RESOLVED, by=s.owner, note=topic.resolve_notes)
        reason, close_note = "Resolved", content.CLOSE_NOTES
        if topic.key == "feedback":
            reason = rng.choice(("Resolved", "Won't fix", "Other"))
    if target == Status.RESOLVED:
        if reason == "Resolved" and topic.key != "feedback" and rng.random() < 0.15:
            # The customer writes back before the case closes: it re-opens by itself.
            s.wait(60, _DAY)
            s.move(Status.OPEN, by=None)
            s.add("note", s.owner, s.say(content.RESOLVED_REOPEN_NOTES))
            _work_again(s, topic, issue)
        return
    s.wait(_DAY, 4 * _DAY)
    s.move(Status.CLOSED, by=s.owner, note=close_note, closed_reason=reason)
    window = policy.window.total_seconds() / 60
    # Only bugs come back ("it's broken again"); a question answered stays answered.
    if (reason == "Resolved" and topic.type == "Bug" and policy.limit >= 1 and window >= 30
            and rng.random() < 0.2):
        # Re-opened within the tenant's window, as the lifecycle demands.
        s.wait(min(15, window * 0.4), min(300, window * 0.8))
        s.move(Status.OPEN, by=s.owner, note=content.REOPEN_NOTES)
        _work_again(s, topic, issue)
        s.wait(_DAY, 3 * _DAY)
        s.move(Status.CLOSED, by=s.owner, note=content.CLOSE_NOTES, closed_reason="Resolved")


def _work_again(s: _Story, topic: Topic, issue: Issue) -> None:
    s.wait(10, 180)
    s.move(Status.IN_PROGRESS, by=s.owner)
    s.wait(60, _DAY)
    s.add("reply", s.owner, s.say((issue.solution,)))
    s.move(Status.RESOLVED, by=s.owner, note=topic.resolve_notes)


def _weighted[T](rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    return rng.choices([item for item, _ in pairs], [weight for _, weight in pairs])[0]


def _plan_case(index: int, target: Status, *, now: datetime, contacts: dict[str, list[str]],
               names: dict[str, str], policy: ReopenPolicy) -> CasePlan:
    rng = random.Random(f"{SEED}:case:{index}")
    topic = _weighted(rng, [(t, t.weight) for t in content.TOPICS])
    issue = rng.choice(topic.issues)
    company = _weighted(rng, [(c, content.CASE_WEIGHT_PER_TIER[c.tier])
                              for c in content.COMPANIES])
    contact = rng.choice(contacts[company.domain])
    low, high = _AGE_DAYS[target]
    created_at = now - timedelta(seconds=int(rng.uniform(low, high) * _DAY * 60))
    values = _case_values(rng, company, names[contact], created_at)
    priority = _weighted(rng, list(zip(Priority.values, topic.priorities, strict=True)))
    if company.tier == "Enterprise" and priority < Priority.URGENT and rng.random() < 0.3:
        priority += 1
    source = _weighted(rng, _SOURCES)
    queue = topic.queue
    if topic.refer_to == "Engineering" and source in (Source.API, Source.SLACK):
        # Bugs reported by an integration or in the shared Slack channel skip first line.
        queue = "Engineering"
    team = _team(queue)
    # Agents mostly work customers of their own territory, as territory routing would do.
    owner = _weighted(rng, [(p.email, 3 if p.territory == company.territory else 1)
                            for p in team])
    by_staff = source in (Source.PHONE, Source.CHAT)
    creator = owner if by_staff else (content.SHOWN_LOGINS[0] if source == Source.API
                                      else None)
    deal = next((d.name for d in content.DEALS if d.domain == company.domain), "")
    wants_deal = topic.key in ("pricing", "setup", "training", "cancel") and rng.random() < 0.6
    tags = topic.tags + (("vip",) if company.tier == "Enterprise" else ())
    story = _Story(rng, values, owner)
    _live(story, topic=topic, issue=issue, target=target, queue=queue, priority=priority,
          quick_claim=by_staff, policy=policy)
    return CasePlan(
        index=index, status=target, created_at=created_at,
        subject=issue.subject.format_map(values),
        description=issue.description.format_map(values),
        type=topic.type, category=topic.category, subcategory=topic.subcategory,
        priority=priority, source=source, tags=tags, queue=queue,
        account_domain=company.domain, contact_email=contact,
        deal_name=deal if wants_deal else "", creator=creator,
        steps=story.steps(created_at, now - timedelta(minutes=1)),
    )


def _case_values(rng: random.Random, company: Company, contact_name: str,
                 created_at: datetime) -> dict[str, str]:
    """What the text templates may name: {first}, {company}, {tier}, {integration},
    {invoice}, {seats}, {count}, {month}, {amount}, {browser}."""
    last_month = created_at.replace(day=1) - timedelta(days=1)
    amount = rng.choice((49, 99, 149, 299, 590, 1490))
    return {
        "first": contact_name.split()[0],
        "company": company.name,
        "tier": company.tier,
        "integration": rng.choice(content.INTEGRATIONS),
        "invoice": f"INV-{last_month.year}-{rng.randrange(1000, 10000)}",
        "seats": str(rng.choice((3, 5, 8, 10, 15, 25))),
        "count": f"{rng.choice((850, 1200, 4800, 12000, 36000)):,}",
        "month": last_month.strftime("%B"),
        "amount": f"{_CURRENCY[company.territory]}{amount:,}.00",
        "browser": rng.choice(content.BROWSERS),
    }


def plan_cases(*, count: int, now: datetime, start: int = 0,
               policy: ReopenPolicy = ReopenPolicy()) -> list[CasePlan]:
    """Demo cases number `start` to `count - 1`, oldest first; pure and deterministic.

    Case `i` is the same whatever `count` is, so a larger demo extends a smaller one.
    """
    now = now.replace(microsecond=0)  # whole seconds read better in the timeline
    contacts: dict[str, list[str]] = {}
    names = {}
    for spec in contact_specs():
        contacts.setdefault(spec.domain, []).append(spec.email)
        names[spec.email] = spec.name
    plans = [
        _plan_case(i, _STATUS_BLOCK[i % len(_STATUS_BLOCK)], now=now, contacts=contacts,
                   names=names, policy=policy)
        for i in range(start, count)
    ]
    # Created oldest first, so case numbers rise with creation time as in a real desk.
    plans.sort(key=lambda plan: (plan.created_at, plan.index))
    return plans


# --- Making it real (through the services) -------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoResult:
    """What `demo_build` left in the database, for the command to report."""

    tenant: Tenant
    people: int
    queues: int
    accounts: int
    contacts: int
    deals: int
    cases: int
    cases_created: int
    logins: tuple[DemoLogin, ...]


@dataclass
class _Directory:
    """The demo's records by natural key, so case steps can name people and places."""

    tenant: Tenant
    users: dict[str, User]
    memberships: dict[str, Membership]
    queues: dict[str, Queue]
    accounts: dict[str, int]  # domain → id
    contacts: dict[str, int]  # email → id
    deals: dict[str, int]  # name → id

    def user(self, email: str | None) -> User | None:
        return self.users[email] if email else None


def demo_build(*, now: datetime, cases: int = DEMO_CASES) -> DemoResult:
    """Creates or refreshes the `demo` tenant, then adds the demo cases it still lacks.

    Idempotent: people, queues, accounts, contacts and deals are found by natural key (email,
    queue name, domain, deal name) and only created or corrected; cases are added only up to
    `cases`. One transaction, so a failure leaves the tenant as it was.
    """
    # Hashing is slow on purpose (~1 s each): hash each role's password once, with a fixed
    # salt so the hash is stable and a re-run rewrites nothing (and logs nobody out). The
    # passwords are published anyway; the salt is long enough that Django never re-hashes.
    hashes = {role: make_password(password, salt=f"casedeskdemopassword{role}")
              for role, password in content.PASSWORDS.items()}
    with transaction.atomic():
        tenant = _tenant_ensure()
        users, memberships = _people_ensure(tenant, hashes)
        queues = _queues_ensure(tenant, users)
        accounts = _accounts_ensure(tenant)
        contacts = _contacts_ensure(tenant, accounts)
        deals = _deals_ensure(tenant, accounts, today=now.date())
        # The demo replays planned histories (who claimed what, when); routing would hand
        # the cases out first, so the replay's copy of the tenant has it off.
        replay = copy.copy(tenant)
        replay.routing_enabled = False
        directory = _Directory(tenant=replay, users=users, memberships=memberships,
                               queues=queues, accounts=accounts, contacts=contacts,
                               deals=deals)
        existing = Case.objects.filter(tenant=tenant).count()
        policy = ReopenPolicy(limit=tenant.reopen_limit, window=tenant.reopen_window)
        # Every run adds whole index ranges in one transaction, so the cases present are
        # plans 0 … existing-1 and what is missing is the rest.
        missing = plan_cases(count=cases, now=now, start=existing, policy=policy)
        # A replayed history, not a conversation: its replies are not mailed to anyone.
        with mail_suppressed():
            for plan in missing:
                _case_build(directory, plan)
        # After the cases: their history is replayed with the queues' agents claiming, as
        # planned; routing shapes the cases the demo's users create from here on.
        _routing_ensure(tenant, queues, now=now)
    return DemoResult(
        tenant=tenant, people=len(memberships), queues=len(queues), accounts=len(accounts),
        contacts=len(contacts), deals=len(deals), cases=existing + len(missing),
        cases_created=len(missing),
        logins=tuple(DemoLogin(role=p.role, email=p.email, password=content.PASSWORDS[p.role])
                     for p in content.STAFF if p.email in content.SHOWN_LOGINS),
    )


DEMO_MAIL_ADDRESS = "support@demo.casedesk.test"


def _tenant_ensure() -> Tenant:
    tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
    if tenant is None:
        admin = content.STAFF[0]
        tenant = tenant_create(slug=DEMO_SLUG, name=DEMO_NAME, admin_email=admin.email,
                               admin_name=admin.name)
        # Mail to this address through `casedesk smtpd` or the pipe makes demo cases.
        tenant.mail_address = DEMO_MAIL_ADDRESS
        tenant.save(update_fields=["mail_address"])
        return tenant
    # The seeders add only what is missing, so a refresh restores deleted defaults (SLA
    # policies only when the tenant has none at all).
    picklists_seed_defaults(tenant)
    queues_seed_defaults(tenant)
    sla_seed_defaults(tenant, clock.now())
    return tenant


def _people_ensure(tenant: Tenant, hashes: dict[str, str]
                   ) -> tuple[dict[str, User], dict[str, Membership]]:
    users: dict[str, User] = {}
    memberships: dict[str, Membership] = {}
    for person in content.STAFF:  # managers come before the agents who report to them
        user = user_get_or_create(email=person.email, full_name=person.name)
        if user.password != hashes[person.role]:
            user.password = hashes[person.role]
            user.save(update_fields=["password"])
        membership = membership_add(
            tenant=tenant, user=user, role=person.role,
            manager=memberships[person.manager] if person.manager else None,
            skills=list(person.skills), territory=person.territory,
            capacity=person.capacity, is_active=True,
        )
        membership.user = user  # the claim service reads it; spare a query per claim
        users[person.email], memberships[person.email] = user, membership
    return users, memberships


def _queues_ensure(tenant: Tenant, users: dict[str, User]) -> dict[str, Queue]:
    queues = {q.name: q for q in Queue.objects.for_tenant(tenant)}
    for name in sorted({team for person in content.STAFF for team in person.teams}):
        member_ids = [users[p.email].pk for p in content.STAFF if name in p.teams]
        queue = queues.get(name)
        if queue is None:
            queues[name] = queue_create(tenant=tenant, name=name, member_ids=member_ids)
        else:
            queue_update(queue=queue, changes={"member_ids": member_ids, "is_active": True})
    return {name: queue for name, queue in queues.items() if queue.is_active}


DEMO_STRATEGIES = {"Support": Strategy.TERRITORY, "Finance": Strategy.ROUND_ROBIN,
                   "Engineering": Strategy.SKILLS}
DEMO_SKILLS = (("Technical", "Login", ["sso"]), ("Technical", "Integration", ["integrations"]),
               ("Technical", "Performance", ["performance"]),
               ("Technical", "Data import", ["data import"]))


def _demo_rules(queues: dict[str, Queue]) -> list[RuleInput]:
    return [
        RuleInput(name="Enterprise outages go to Engineering, urgent", conditions=[
            {"field": "account.tier", "op": "equals", "value": "Enterprise"},
            {"field": "text", "op": "contains", "value": ["outage", "down", "cannot log in"]},
        ], actions={"queue_id": queues["Engineering"].pk, "priority": "urgent",
                    "tags": ["outage"]}),
        RuleInput(name="Refunds and invoices go to Finance", conditions=[
            {"field": "subcategory", "op": "in", "value": ["Refund", "Invoice"]},
        ], actions={"queue_id": queues["Finance"].pk, "tags": ["billing"]}),
        RuleInput(name="Security words raise the priority", match="any", conditions=[
            {"field": "text", "op": "contains", "value": ["breach", "phishing", "gdpr"]},
        ], actions={"priority": "high", "tags": ["security"]}),
    ]


def _routing_ensure(tenant: Tenant, queues: dict[str, Queue], *, now: datetime) -> None:
    for name, strategy in DEMO_STRATEGIES.items():
        if name in queues and queues[name].strategy != strategy:
            queue_update(queue=queues[name], changes={"strategy": strategy})
    if not SkillRequirement.objects.filter(tenant=tenant).exists():
        skill_requirements_set(tenant=tenant, requirements=list(DEMO_SKILLS))
    existing = set(RoutingRule.objects.filter(tenant=tenant).values_list("name", flat=True))
    for rule in _demo_rules(queues):
        if rule.name not in existing:
            rule_create(tenant=tenant, data=rule, now=now)


def _accounts_ensure(tenant: Tenant) -> dict[str, int]:
    existing = {a.domain: a for a in Account.objects.for_tenant(tenant)
                .filter(domain__in=[c.domain for c in content.COMPANIES])}
    ids = {}
    for company in content.COMPANIES:
        fields = {"name": company.name, "tier": company.tier, "territory": company.territory,
                  "segment": company.segment}
        account = existing.get(company.domain)
        if account is None:
            account = account_create(tenant=tenant, domain=company.domain, **fields)
        elif any(getattr(account, k) != v for k, v in fields.items()):
            account = account_update(account=account, changes=fields)
        ids[company.domain] = account.pk
    return ids


def _contacts_ensure(tenant: Tenant, accounts: dict[str, int]) -> dict[str, int]:
    specs = contact_specs()
    existing = {c.email: c for c in Contact.objects.for_tenant(tenant)
                .filter(email__in=[s.email for s in specs])}
    ids = {}
    for spec in specs:
        fields = {"name": spec.name, "phone": spec.phone, "account_id": accounts[spec.domain]}
        contact = existing.get(spec.email)
        if contact is None:
            contact = contact_create(tenant=tenant, email=spec.email, **fields)
        elif any(getattr(contact, k) != v for k, v in fields.items()):
            contact.tenant = tenant
            contact = contact_update(contact=contact, changes=fields)
        ids[spec.email] = contact.pk
    return ids


def _deals_ensure(tenant: Tenant, accounts: dict[str, int], *, today: date) -> dict[str, int]:
    existing = {(d.account_id, d.name): d.pk for d in Deal.objects.for_tenant(tenant)}
    ids = {}
    for spec in content.DEALS:
        key = (accounts[spec.domain], spec.name)
        if key not in existing:
            existing[key] = deal_create(
                tenant=tenant, name=spec.name, account_id=accounts[spec.domain],
                stage=spec.stage, amount=Decimal(spec.amount),
                close_date=today + timedelta(days=spec.close_in_days)).pk
        ids[spec.name] = existing[key]
    return ids


def _case_build(d: _Directory, plan: CasePlan) -> Case:
    """Creates one planned case and replays its steps, each through its service."""
    case, _ = case_create(
        tenant=d.tenant, actor=d.user(plan.creator), now=plan.created_at,
        data=CaseInput(
            subject=plan.subject, description=plan.description, priority=plan.priority,
            type=plan.type, category=plan.category, subcategory=plan.subcategory,
            source=plan.source, account_id=d.accounts[plan.account_domain],
            contact_id=d.contacts[plan.contact_email],
            deal_id=d.deals[plan.deal_name] if plan.deal_name else None,
            queue_id=d.queues[plan.queue].pk, tags=list(plan.tags),
        ),
    )
    assignment: CaseAssignment | None = None
    for step in plan.steps:
        actor, now = d.user(step.actor), step.at
        match step.action:
            case "claim":
                assert step.actor is not None
                case = case_claim(case=case, membership=d.memberships[step.actor], now=now)
            case "reply" | "note":
                case_add_note(case=case, actor=actor, body=step.text,
                              is_public=step.action == "reply", now=now)
            case "move":
                case = case_transition(case=case, actor=actor, to=step.target, note=step.text,
                                       closed_reason=step.closed_reason, now=now)
            case "refer":
                assignment = assignment_open(case=case, actor=actor, now=now,
                                             queue=d.queues[step.target],
                                             description=step.text)
            case "refer_close":
                assert assignment is not None
                assignment_close(assignment=assignment, actor=actor, note=step.text, now=now)
            case "reassign":
                case = case_change_owner(case=case, actor=actor, owner=d.users[step.target],
                                         now=now)
            case "escalate":
                case = case_update(case=case, actor=actor, now=now,
                                   changes={"priority": int(step.target)})
            case _:
                raise ValueError(f"Unknown demo step {step.action!r}")
    return case

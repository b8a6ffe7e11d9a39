"""The `demo` tenant: realistic staff, customers, cases whose timelines are true, and a
knowledge base that answers them.

Two halves. `demo.plan` is pure: from a fixed seed and a clock reading it decides what each
case is about and the story of its life (who claimed it, what they wrote, when it moved).
`demo_build` here makes that real through the ordinary services only, handing each call its
backdated `now`, so every demo case carries exactly the timeline the services write for real
work; no case or timeline row is written behind their back. Running it again tops the tenant
up to the same counts, so it is idempotent. The knowledge base and the history of its use on
the cases are `demo.kb_builder`'s.
"""

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.lifecycle import ReopenPolicy
from casedesk.cases.models import Case, CaseAssignment
from casedesk.cases.ownership import case_change_owner, case_claim
from casedesk.cases.picklists import picklists_seed_defaults
from casedesk.cases.referrals import assignment_close, assignment_open
from casedesk.cases.services import case_add_note, case_transition, case_update
from casedesk.chat.services import chat_settings, chat_settings_update
from casedesk.core import clock
from casedesk.crm.models import Account, Contact, Deal
from casedesk.crm.services import (
    account_create,
    account_update,
    contact_create,
    contact_update,
    deal_create,
)
from casedesk.demo import content
from casedesk.demo.automation_builder import automation_ensure
from casedesk.demo.csat_builder import csat_history_ensure
from casedesk.demo.kb_builder import kb_ensure, kb_history_ensure
from casedesk.demo.plan import CasePlan, contact_specs, plan_cases
from casedesk.mail.outbox import mail_suppressed
from casedesk.ops.provisioning import tenant_create
from casedesk.reports.compliance import add_months
from casedesk.reports.compliance_job import compliance_generate, current_month
from casedesk.reports.models import MonthlyCompliance
from casedesk.reports.rollup import facts_refresh
from casedesk.routing.models import Queue, RoutingRule, SkillRequirement, Strategy
from casedesk.routing.queues import queue_create, queue_update, queues_seed_defaults
from casedesk.routing.services import RuleInput, rule_create, skill_requirements_set
from casedesk.sla.policies import sla_seed_defaults
from casedesk.tenancy.models import Membership, Tenant, User
from casedesk.tenancy.services import membership_add, user_get_or_create

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Support Co"
DEMO_CASES = 600


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
    articles: int
    articles_created: int
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
    `cases`; articles are added when missing (`kb_builder`). One transaction, so a failure
    leaves the tenant as it was.
    """
    # Hashing is slow on purpose (~1 s each): hash each role's password once, with a fixed
    # salt so the hash is stable and a re-run rewrites nothing (and logs nobody out). The
    # passwords are published anyway; the salt is long enough that Django never re-hashes.
    hashes = {role: make_password(password, salt=f"casedeskdemopassword{role}")
              for role, password in content.PASSWORDS.items()}
    with transaction.atomic():
        created = not Tenant.objects.filter(slug=DEMO_SLUG).exists()
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
        kb = kb_ensure(tenant, users, now=now)
        # The history of the articles' use on the cases needs both in place.
        kb_history_ensure(tenant, users, now=now)
        automation_ensure(tenant, memberships[content.STAFF[0].email], now=now,
                          created=created)
        csat_history_ensure(tenant, now=now)
        _chat_ensure(tenant, now=now)
    # The reports read facts the worker keeps; the demo's are made now, so the scorecard
    # shows the history before the worker first runs. The worker makes last month's SLA
    # compliance report only for tenants that existed then: the demo's history is older than
    # the tenant, so its months' reports are made here (those missing, oldest first, so each
    # has the trend of the ones before).
    facts_refresh()
    compliance_history_ensure(tenant, now=now)
    return DemoResult(
        tenant=tenant, people=len(memberships), queues=len(queues), accounts=len(accounts),
        contacts=len(contacts), deals=len(deals), cases=existing + len(missing),
        cases_created=len(missing), articles=kb.articles, articles_created=kb.articles_created,
        logins=tuple(DemoLogin(role=p.role, email=p.email, password=content.PASSWORDS[p.role])
                     for p in content.STAFF if p.email in content.SHOWN_LOGINS),
    )


COMPLIANCE_MONTHS = 3
# Where `make run` serves the demo: sites there may embed the chat widget.
DEMO_CHAT_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]


def _chat_ensure(tenant: Tenant, *, now: datetime) -> None:
    """The chat widget on, with the chatbot, for a site on this machine; left as an admin
    set it once the demo has run before."""
    if chat_settings(tenant).allowed_origins:
        return
    chat_settings_update(tenant=tenant, actor=None, now=now, changes={
        "enabled": True, "bot_enabled": True, "allowed_origins": DEMO_CHAT_ORIGINS})


def compliance_history_ensure(tenant: Tenant, *, now: datetime) -> None:
    this_month = current_month(tenant, now)
    stored = set(MonthlyCompliance.objects.filter(tenant=tenant).values_list("month", flat=True))
    for back in range(COMPLIANCE_MONTHS, 0, -1):
        month = add_months(this_month, -back)
        if month not in stored:
            compliance_generate(tenant, month, now)


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

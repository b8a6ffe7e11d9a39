"""Reply drafts: a matching public article and a similar resolved case's public reply are
quoted, with their sources; internal notes, internal articles and closure notes never go in;
no match is said plainly."""

from datetime import timedelta

import pytest

from casedesk.assist import drafts
from casedesk.assist.drafts import reply_draft
from casedesk.assist.similar import similar_rebuild
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case, Note
from casedesk.crm.models import Contact
from casedesk.kb.models import Article
from casedesk.kb.services import article_create, article_publish
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW

SECRET = "INTERNAL-ONLY escalation code 7781"


def _article(
    tenant: Tenant, admin: Membership, title: str, body: str, *, visibility: str = "public"
) -> Article:
    article = article_create(
        tenant=tenant, author=admin.user, title=title, body=body, now=NOW, visibility=visibility
    )
    return article_publish(article=article, actor=admin.user, now=NOW)


def _resolved_twin(tenant: Tenant, admin: Membership) -> Case:
    """An earlier case about a printer jam, resolved, with a public reply and an internal
    note holding a secret."""
    earlier, _ = case_create(
        tenant=tenant,
        actor=admin.user,
        now=NOW - timedelta(days=3),
        data=CaseInput(
            subject="Printer PX-200 jams on page two",
            description="The PX-200 printer jams on the second page of every duplex job.",
        ),
    )
    Note.objects.create(
        tenant=tenant,
        case=earlier,
        author=admin.user,
        is_public=True,
        body="Hi Olga, please update the PX-200 firmware to 2.0.17 and clear "
        "the duplex roller; that stops the jam.\n\nBest regards,\nAda",
        created_at=NOW - timedelta(days=2),
    )
    Note.objects.create(
        tenant=tenant,
        case=earlier,
        author=admin.user,
        is_public=False,
        body=SECRET,
        created_at=NOW - timedelta(days=2, hours=-1),
    )
    Case.objects.filter(pk=earlier.pk).update(
        status="closed",
        closure_note=f"Closed. {SECRET}",
        resolved_at=NOW - timedelta(days=2),
        closed_at=NOW - timedelta(days=1),
    )
    return earlier


@pytest.fixture
def new_jam(tenant: Tenant, admin: Membership) -> Case:
    contact = Contact.objects.create(tenant=tenant, name="Maria Jensen", email="maria@example.com")
    case, _ = case_create(
        tenant=tenant,
        actor=admin.user,
        now=NOW,
        data=CaseInput(
            subject="PX-200 printer jams on the second page",
            description="Our PX-200 jams on duplex jobs.",
            contact_id=contact.pk,
        ),
    )
    return case


def test_passages_lose_the_other_customers_greeting_and_the_sign_off() -> None:
    assert drafts.reply_passage("Hi Olga, update the firmware.\n\nBest regards,\nAda") == (
        "Update the firmware."
    )
    assert drafts.first_passage("# Title\n\nFirst **bold** words.\n\nMore.") == (
        "First bold words."
    )
    assert drafts.greeting("Maria Jensen") == "Hi Maria,"
    assert drafts.greeting("") == "Hello,"


def test_a_draft_quotes_an_article_and_a_past_reply_with_sources(
    tenant: Tenant, admin: Membership, agent: Membership, new_jam: Case
) -> None:
    _resolved_twin(tenant, admin)
    similar_rebuild(tenant, NOW)
    article = _article(
        tenant,
        admin,
        "Fixing PX-200 printer jams",
        "Clean the duplex roller of the PX-200 printer and update its firmware. "
        "Jams on the second page stop after that.",
    )
    _article(
        tenant,
        admin,
        "PX-200 printer jams: internal runbook",
        f"Printer PX-200 jams second page. {SECRET}",
        visibility="internal",
    )
    draft = reply_draft(tenant, new_jam, member=agent, base_url="https://desk.example")
    assert draft.text.startswith("Hi Maria,")
    assert "Clean the duplex roller" in draft.text
    assert "update the PX-200 firmware to 2.0.17" in draft.text  # the past reply
    assert "Olga" not in draft.text  # the other customer's name went with the greeting
    assert f"https://desk.example/portal/{tenant.slug}/kb/" in draft.text
    assert article.slug in draft.text
    assert draft.text.rstrip().endswith(agent.user.full_name or agent.user.email)
    assert "INTERNAL-ONLY" not in draft.text  # no internal note, internal article, closure
    kinds = {source.kind for source in draft.sources}
    assert kinds == {"article", "case"}
    assert not Note.objects.filter(case=new_jam).exists()  # nothing written, nothing sent


def test_no_match_says_there_is_nothing_to_draft_from(tenant: Tenant, agent: Membership) -> None:
    case, _ = case_create(
        tenant=tenant, actor=agent.user, now=NOW, data=CaseInput(subject="Zebra quokka marmalade")
    )
    draft = reply_draft(tenant, case, member=agent)
    assert draft.text == "" and draft.sources == []
    assert draft.note.startswith("Nothing to draft from")


def test_another_tenants_case_gets_no_draft(
    tenant: Tenant, other_tenant: Tenant, agent: Membership, outsider: Membership
) -> None:
    case, _ = case_create(
        tenant=other_tenant, actor=outsider.user, now=NOW, data=CaseInput(subject="Printer jams")
    )
    assert reply_draft(tenant, case, member=agent).text == ""

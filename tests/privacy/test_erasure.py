"""Erasing a contact: no trace of the email or the name in any column of any table (SQLite
and PostgreSQL), their files gone after commit, the cases kept and counted, the erasure
recorded without the data, and a second erasure harmless."""

from typing import Any

from django.core.files.storage import default_storage

from casedesk.cases.models import Case, Note, Participant
from casedesk.crm.models import Contact
from casedesk.csat.models import Survey
from casedesk.mail.models import Attachment, InboundMessage, OutboundMail
from casedesk.portal.models import PortalSession, SignInLink
from casedesk.privacy.erasure import contact_erase, erasure_preview
from casedesk.privacy.models import Erasure
from casedesk.reports.models import FactStale
from casedesk.tenancy.models import AuditEntry
from tests.conftest import NOW
from tests.privacy.helpers import BODY, COMMENT, EMAIL, NAME, PHONE, REPLY, footprint
from tests.privacy.scan import traces

LATER = NOW.replace(day=30)


def test_the_footprint_is_found_before_erasure(tenant, agent) -> None:
    # The scan is only worth something if it sees what is there.
    fp = footprint(tenant, agent)
    found = traces(EMAIL, NAME)
    assert any(t.startswith("mail.InboundMessage.raw") for t in found)
    assert any(t.startswith("automation.WebhookDelivery.payload") for t in found)
    assert any(t.startswith("cases.Participant.email") for t in found)
    assert any(t.startswith("csat.Survey.recipient") for t in found)
    assert any(t.startswith("tenancy.AuditEntry") for t in found)
    assert SignInLink.objects.filter(contact=fp.contact).count() == 2
    assert fp.attachment_names and all(default_storage.exists(n) for n in fp.attachment_names)
    preview = erasure_preview(fp.contact)
    assert preview["cases"] == 1 and preview["cases_taken_part_in"] == 1
    assert preview["messages"] == 1 and preview["mail_received"] == 2
    assert preview["attachments"] == 1 and preview["surveys"] == 1


def test_erasure_leaves_no_trace_of_email_name_or_words(
        tenant, agent, admin, django_capture_on_commit_callbacks: Any) -> None:
    fp = footprint(tenant, agent)
    with django_capture_on_commit_callbacks(execute=True):
        result = contact_erase(contact=fp.contact, actor=admin.user, now=LATER, via="cli")
    assert not result.already_erased
    assert traces(EMAIL, NAME, PHONE, BODY, REPLY, COMMENT, "IBAN GB29") == []
    # Files are gone from storage, their rows with them.
    assert not any(default_storage.exists(n) for n in fp.attachment_names)
    assert not Attachment.objects.filter(case=fp.own).exists()
    # The cases stay, with the contact anonymised.
    own = Case.objects.get(pk=fp.own.pk)
    contact = Contact.objects.get(pk=fp.contact.pk)
    assert own.contact_id == contact.pk and own.status == "resolved"
    assert contact.name == f"Erased contact {contact.pk}" and contact.phone == ""
    assert contact.email.endswith("@erased.invalid")
    assert Case.objects.filter(pk=fp.other.pk, subject="Widgets for our team").exists()
    assert not Participant.objects.filter(case=fp.other, email__icontains="zelda").exists()
    # Her messages stay as entries of the case, without her words.
    theirs = Note.objects.filter(case=fp.own, author__isnull=True)
    assert theirs.count() == 1 and {n.body for n in theirs} == {"(erased)"}
    assert Note.objects.filter(case=fp.own, author=agent.user).count() >= 2
    assert Survey.objects.get(case=fp.own).rating == 1
    assert not SignInLink.objects.filter(contact=contact).exists()
    assert not PortalSession.objects.filter(contact=contact).exists()
    assert all(bytes(m.raw) == b"" for m in InboundMessage.objects.filter(case=fp.own))
    assert OutboundMail.objects.filter(case=fp.own).exists()
    # Reports recount the cases she touched.
    assert set(FactStale.objects.values_list("case_id", flat=True)) >= {fp.own.pk, fp.other.pk}


def test_the_erasure_is_recorded_without_the_data(tenant, agent, admin) -> None:
    fp = footprint(tenant, agent)
    result = contact_erase(contact=fp.contact, actor=admin.user, now=LATER, via="web")
    erasure = Erasure.objects.get()
    assert erasure == result.erasure
    assert erasure.contact_id_erased == fp.contact.pk and erasure.erased_by == admin.user
    assert erasure.at == LATER and erasure.via == "web"
    counts = erasure.counts
    assert counts["contact"] == 1 and counts["messages"] == 1 and counts["attachments"] == 1
    assert counts["portal_sign_ins"] == 3 and counts["participations"] == 1
    entry = AuditEntry.objects.get(action="contact.erased")
    assert entry.target_id == str(fp.contact.pk) and entry.actor == admin.user
    assert entry.detail["erasure_id"] == erasure.pk
    text = f"{entry.changes}{entry.detail}{entry.target_label}".lower()
    assert "zelda" not in text and "erase.example" not in text


def test_erasing_twice_changes_nothing(tenant, agent, admin) -> None:
    fp = footprint(tenant, agent)
    first = contact_erase(contact=fp.contact, actor=admin.user, now=LATER)
    again = contact_erase(contact=Contact.objects.get(pk=fp.contact.pk), actor=admin.user,
                          now=LATER)
    assert again.already_erased and again.erasure == first.erasure
    assert Erasure.objects.count() == 1
    assert AuditEntry.objects.filter(action="contact.erased").count() == 1


def test_mail_not_yet_sent_to_her_is_not_sent(tenant, agent, admin) -> None:
    fp = footprint(tenant, agent)
    pending = OutboundMail.objects.filter(case=fp.own, status="pending").first()
    assert pending is not None
    contact_erase(contact=fp.contact, actor=admin.user, now=LATER)
    pending.refresh_from_db()
    assert pending.status == "failed" and "erased" in pending.last_error


def test_other_tenants_data_is_untouched(tenant, agent, admin, other_tenant, outsider) -> None:
    theirs = footprint(other_tenant, outsider)
    fp = footprint(tenant, agent)
    contact_erase(contact=fp.contact, actor=admin.user, now=LATER)
    kept = Contact.objects.get(pk=theirs.contact.pk)
    assert kept.email == EMAIL.lower() and kept.name == NAME
    assert Note.objects.filter(tenant=other_tenant, body__contains="IBAN").exists()


def test_the_raw_table_scan_sees_what_the_models_hold(tenant, agent) -> None:
    footprint(tenant, agent)
    found = traces(EMAIL)
    assert any(t.startswith("mail_inboundmessage.raw") for t in found)
    assert any(t.startswith("crm_contact.email") for t in found)

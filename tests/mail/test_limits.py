"""Mail and the columns it fills: what arrives from outside is kept as far as it fits (a
header is never a reason to lose a message), what an admin types is refused by name."""

from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest

from casedesk.cases.services import case_add_note
from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.mail.mailboxes import mailbox_create
from casedesk.mail.models import (
    InboundMessage,
    InboundStatus,
    Mailbox,
    OutboundKind,
    OutboundMail,
    ThreadKey,
)
from casedesk.mail.tenant_settings import mail_settings_update
from casedesk.tenancy.models import Tenant
from tests.api_checks import error
from tests.conftest import NOW
from tests.factories import ContactFactory, make_case
from tests.mail.test_api import BOXES, SETTINGS, box_body
from tests.mail.test_ingest import mail

LONG_ADDRESS = "jo" + "x" * 300 + "@customer.example"
LONG_ID = "<" + "i" * 600 + "@customer.example>"


@pytest.mark.parametrize("many", [False, True])
def test_an_over_long_sender_address_still_makes_a_case(tenant, many) -> None:
    raw = mail(sender=f"Jo <{LONG_ADDRESS}>")
    result = (ingest_batch(tenant=tenant, raws=[raw], now=NOW)[0] if many
              else ingest(tenant=tenant, raw=raw, now=NOW))
    assert result.status == InboundStatus.PROCESSED and result.case is not None
    assert result.case.contact is None  # no address a contact could keep
    assert len(InboundMessage.objects.get().sender) == 254


@pytest.mark.parametrize("many", [False, True])
def test_an_over_long_message_id_is_kept_as_far_as_it_fits_and_still_threads(tenant,
                                                                              many) -> None:
    raw = mail(message_id=LONG_ID)
    first = (ingest_batch(tenant=tenant, raws=[raw], now=NOW)[0] if many
             else ingest(tenant=tenant, raw=raw, now=NOW))
    assert first.status == InboundStatus.PROCESSED
    key = ThreadKey.objects.get(tenant=tenant, message_id__startswith="iii")
    assert len(key.message_id) == 500
    again = ingest(tenant=tenant, raw=raw, now=NOW)
    assert again.status == InboundStatus.DUPLICATE and again.case == first.case
    # Written out by hand: the email package would encode so long a header word.
    reply = ingest(tenant=tenant, raw=(
        b"From: jo@customer.example\r\nSubject: Re: it\r\nMessage-ID: <r@customer.example>\r\n"
        b"In-Reply-To: " + LONG_ID.encode() + b"\r\n\r\nThanks\r\n"), now=NOW)
    assert reply.case == first.case and not reply.created


@pytest.mark.parametrize("field", ["name", "username", "password", "folder", "move_to"])
def test_mailbox_settings_past_their_column_are_refused(admin_api, tenant, field) -> None:
    too_long = "m" * (max_length(Mailbox, field) + 1)
    error(admin_api.post(BOXES, box_body(**{field: too_long})), 422, field=field)
    assert not Mailbox.objects.exists()
    with pytest.raises(Invalid) as refused:
        mailbox_create(tenant=tenant, now=NOW, values=box_body(**{field: too_long}))
    assert refused.value.field == field and "at most" in refused.value.detail


@pytest.mark.parametrize("field", ["mail_from_name", "mail_authserv_ids", "mail_from"])
def test_mail_settings_past_their_column_are_refused(admin_api, tenant, field) -> None:
    too_long = "a" * (max_length(Tenant, field) - 5) + "@x.test" if field == "mail_from" else (
        "a" * (max_length(Tenant, field) + 1))
    error(admin_api.patch(SETTINGS, {field: too_long}), 422, field=field)
    with pytest.raises(Invalid) as refused:
        mail_settings_update(tenant=tenant, changes={field: too_long})
    assert refused.value.field == field
    tenant.refresh_from_db()
    assert getattr(tenant, field) == ""


def test_mail_the_desk_sends_fits_its_columns_whatever_the_tenant_is_called(tenant,
                                                                         agent) -> None:
    """A name in a non-Latin script is several times longer once encoded in a From header,
    and a long sender domain makes a long Message-ID; both are shortened to fit."""
    domain = ".".join(["d" * 60] * 3) + ".example"
    Tenant.objects.filter(pk=tenant.pk).update(name="株式会社" * 50, mail_from=f"desk@{domain}")
    tenant.refresh_from_db()
    contact = ContactFactory(tenant=tenant, email="jo@customer.example")
    case = make_case(tenant, contact_id=contact.pk)
    case_add_note(case=case, actor=agent.user, body="On it", is_public=True, now=NOW)
    sent = OutboundMail.objects.get(tenant=tenant, kind=OutboundKind.REPLY)
    assert len(sent.from_address) <= max_length(OutboundMail, "from_address")
    name, address = parseaddr(str(make_header(decode_header(sent.from_address))))
    assert address == f"desk@{domain}" and name.startswith("株式会社株式会社")
    assert len(sent.message_id) <= max_length(OutboundMail, "message_id")
    assert sent.message_id.endswith(".example")

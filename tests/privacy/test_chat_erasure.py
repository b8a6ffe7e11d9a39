"""Erasing a contact takes their live chats with it: transcript, files and offers."""

from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.chat import services
from casedesk.chat.models import Chat, ChatAttachment, ChatEvent
from casedesk.chat.services import VisitorStart
from casedesk.crm.models import Contact
from casedesk.privacy.erasure import contact_erase, erasure_preview
from tests.conftest import NOW


def test_erasure_removes_the_contacts_chats(tenant, admin):
    services.chat_settings_update(tenant=tenant, actor=None, now=NOW, changes={"enabled": True})
    chat = services.chat_start(tenant=tenant, now=NOW, visitor=VisitorStart(
        name="Vera Visitor", email="vera@customer.test", message="My router blinks red"))
    other = services.chat_start(tenant=tenant, now=NOW, visitor=VisitorStart(
        name="Otto Other", email="otto@customer.test", message="Another question here"))
    ChatAttachment.objects.create(
        tenant=tenant, chat=chat, name="photo.png", content_type="image/png", size=3,
        sender="visitor", created_at=NOW,
        file=SimpleUploadedFile("x.bin", b"png"))
    contact = Contact.objects.get(tenant=tenant, email="vera@customer.test")
    assert erasure_preview(contact)["chats"] == 1

    result = contact_erase(contact=contact, actor=admin.user, now=NOW)

    assert result.erasure.counts["chats"] == 1
    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not ChatEvent.objects.filter(chat_id=chat.pk).exists()
    assert not ChatAttachment.objects.filter(chat_id=chat.pk).exists()
    assert Chat.objects.filter(pk=other.pk).exists()

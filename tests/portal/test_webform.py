"""The web-to-case form: a post makes a case as mail does (contact, routing, SLA clocks,
acknowledgement in the outbox), its spam defences and rate limits, its files, the
suggestions, the embed page and cross-origin posts, and the admin page."""

import io
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from casedesk.cases.models import Case, CustomFieldDefinition
from casedesk.crm.models import Contact
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_create, article_publish
from casedesk.kb.visitors import COOKIE
from casedesk.mail.models import Attachment, OutboundKind, OutboundMail
from casedesk.portal import webform
from casedesk.portal.config import portal_settings
from casedesk.portal.models import PortalSettings, SubmissionOutcome, WebFormSubmission
from tests.conftest import NOW, Clock, login

pytestmark = pytest.mark.django_db
URL = "/portal/acme/new"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
VISITOR = "0123456789abcdef0123456789abcdef"


def _draw(client: Client, url: str = URL) -> str:
    """Draws the form and returns its stamp."""
    page = client.get(url)
    assert page.status_code == 200
    return str(page.context["form"]["stamp"].value())


def _fields(stamp: str, **overrides: Any) -> dict[str, Any]:
    return {"name": "Carla Customer", "email": "carla@example.com",
            "subject": "Printer on fire", "description": "It <b>smokes</b>.",
            "stamp": stamp, "website": "", **overrides}


def _post(client: Client, clock: Clock, url: str = URL, wait: float = 5,
          **overrides: Any) -> Any:
    stamp = _draw(client, url)
    clock.advance(seconds=wait)
    return client.post(url, _fields(stamp, **overrides))


def _settings(tenant: Any, **values: Any) -> PortalSettings:
    config = portal_settings(tenant)
    for name, value in values.items():
        setattr(config, name, value)
    config.save()
    return config


def _thanks_number(client: Client, response: Any) -> str:
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    return str(page.context["number"])


def test_a_post_makes_a_web_case_routed_with_sla_and_acknowledged(tenant, clock) -> None:
    client = Client()
    response = _post(client, clock, category="Billing")
    number = _thanks_number(client, response)
    case = Case.objects.get(tenant=tenant)
    assert number == case.display_number
    assert case.source == "web"
    assert case.subject == "Printer on fire"
    assert case.description == "It <b>smokes</b>."
    assert case.category == "Billing"
    assert case.created_at == NOW + webform.timedelta(seconds=5)
    contact = Contact.objects.get(tenant=tenant, email="carla@example.com")
    assert case.contact_id == contact.pk and contact.name == "Carla Customer"
    assert case.queue_id is not None  # routing (rules, then the fallback map) chose one
    assert case.first_response_due_at is not None and case.resolution_due_at is not None
    ack = OutboundMail.objects.get(tenant=tenant, kind=OutboundKind.ACKNOWLEDGEMENT)
    assert ack.recipient == "carla@example.com" and ack.case_id == case.pk
    row = WebFormSubmission.objects.get(tenant=tenant)
    assert row.outcome == SubmissionOutcome.ACCEPTED and row.case_id == case.pk
    # The customer's text is shown escaped.
    page = client.get(response["Location"])
    assert b"<b>smokes" not in page.content


def test_a_known_contact_is_reused_with_their_name(tenant, clock) -> None:
    known = Contact.objects.create(tenant=tenant, email="carla@example.com", name="Carla C.")
    _post(Client(), clock, email="Carla@Example.com", name="Somebody else")
    case = Case.objects.get(tenant=tenant)
    assert case.contact_id == known.pk
    known.refresh_from_db()
    assert known.name == "Carla C."
    assert Contact.objects.filter(tenant=tenant).count() == 1


def test_a_double_send_of_one_form_makes_one_case(tenant, clock) -> None:
    client = Client()
    stamp = _draw(client)
    clock.advance(seconds=5)
    first = client.post(URL, _fields(stamp))
    second = client.post(URL, _fields(stamp))
    assert _thanks_number(client, first) == _thanks_number(client, second)
    assert Case.objects.filter(tenant=tenant).count() == 1
    assert OutboundMail.objects.filter(tenant=tenant).count() == 1


def test_missing_fields_show_the_form_again(tenant, clock) -> None:
    response = _post(Client(), clock, subject="", email="not-an-address")
    assert response.status_code == 422
    assert response.context["form"].errors.keys() >= {"subject", "email"}
    assert not Case.objects.exists()


def test_custom_fields_on_the_web_form(tenant, clock) -> None:
    CustomFieldDefinition.objects.create(tenant=tenant, key="order", label="Order number",
                                         kind="number", required=True,
                                         show_on_web_form=True, show_on_new_case=False)
    CustomFieldDefinition.objects.create(tenant=tenant, key="plan", label="Plan",
                                         kind="picklist", choices=["Basic", "Pro"],
                                         show_on_web_form=True, show_on_new_case=False)
    CustomFieldDefinition.objects.create(tenant=tenant, key="internal", label="Internal",
                                         kind="text", show_on_web_form=False)
    client = Client()
    page = client.get(URL)
    assert b'name="cf_order"' in page.content and b'name="cf_internal"' not in page.content
    missing = _post(client, clock, cf_plan="Pro")
    assert missing.status_code == 422 and "cf_order" in missing.context["form"].errors
    wrong = _post(client, clock, cf_order="12", cf_plan="Gold")
    assert wrong.status_code == 422 and "cf_plan" in wrong.context["form"].errors
    _post(client, clock, cf_order="1234", cf_plan="Pro", cf_internal="sneaky")
    case = Case.objects.get(tenant=tenant)
    assert case.custom_fields == {"order": 1234, "plan": "Pro"}


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile
    return SimpleUploadedFile(name, content, content_type=content_type)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_attachments_are_kept_with_their_real_type(tenant, clock) -> None:
    response = _post(Client(), clock, attachments=[
        _upload("shot.png", PNG, "text/plain"), _upload("notes.docx", _docx()),
        _upload("log.txt", b"all fine\n", "image/png")])
    assert response.status_code == 302
    rows = {a.filename: a for a in Attachment.objects.filter(tenant=tenant)}
    assert rows["shot.png"].content_type == "image/png"
    assert rows["notes.docx"].content_type == webform._DOCX
    assert rows["log.txt"].content_type == "text/plain"
    assert rows["shot.png"].file.read() == PNG
    assert not rows["shot.png"].file.name.endswith(".png")


@pytest.mark.parametrize(("files", "settings"), [
    ([_upload("a.txt", b"a"), _upload("b.txt", b"b")], {"max_files": 1}),
    ([_upload("big.txt", b"x" * 2048)], {"max_file_bytes": 1024}),
    # An executable calling itself a PNG is what its bytes say: not a type taken.
    ([_upload("evil.png", b"MZ\x90\x00\x03\x00\xff\xfe", "image/png")], {}),
    ([_upload("photo.png", PNG)], {"file_types": ["application/pdf"]}),
    ([_upload("empty.txt", b"")], {}),
])
def test_attachments_beyond_the_limits_are_refused(tenant, clock, files, settings) -> None:
    _settings(tenant, **settings)
    response = _post(Client(), clock, attachments=files)
    assert response.status_code == 422
    assert "attachments" in response.context["form"].errors
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_the_honeypot_is_hidden_by_a_class_and_catches_bots(tenant, clock) -> None:
    client = Client()
    page = client.get(URL)
    assert b'class="wf-hp"' in page.content and b'style="' not in page.content
    response = _post(client, clock, website="http://spam.example")
    assert _thanks_number(client, response) == ""
    assert not Case.objects.exists() and not Contact.objects.exists()
    assert WebFormSubmission.objects.get().outcome == SubmissionOutcome.SPAM


@pytest.mark.parametrize("stamp", ["fast", "forged", "missing"])
def test_a_form_sent_too_fast_or_unstamped_is_spam(tenant, clock, stamp) -> None:
    client = Client()
    drawn = _draw(client)
    clock.advance(seconds=2)
    value = {"fast": drawn, "forged": drawn[:-3] + "abc", "missing": ""}[stamp]
    response = client.post(URL, _fields(value))
    assert _thanks_number(client, response) == ""
    assert not Case.objects.exists()
    assert WebFormSubmission.objects.get().outcome == SubmissionOutcome.SPAM


def test_too_many_posts_from_one_network_get_429(tenant, clock) -> None:
    client = Client()
    for n in range(webform.CLIENT_LIMIT):
        response = _post(client, clock, email=f"person{n}@example.com")
        assert response.status_code == 302
    held = _post(client, clock, email="another@example.com")
    assert held.status_code == 429
    assert int(held["Retry-After"]) > 0
    assert b"wait" in held.content
    assert WebFormSubmission.objects.filter(outcome=SubmissionOutcome.THROTTLED).count() == 0
    clock.advance(seconds=int(held["Retry-After"]))
    assert _post(client, clock, wait=0, email="later@example.com").status_code == 302
    # Another network is not held back.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert _post(other, clock, email="x@example.com").status_code == 302


def test_too_many_posts_for_one_address_get_429(tenant, clock) -> None:
    for n in range(webform.EMAIL_LIMIT):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert _post(client, clock).status_code == 302
    held = _post(Client(REMOTE_ADDR="198.51.100.99"), clock)
    assert held.status_code == 429 and held.has_header("Retry-After")
    assert Case.objects.count() == webform.EMAIL_LIMIT


def test_only_known_contacts(tenant, clock) -> None:
    _settings(tenant, only_known_contacts=True)
    refused = _post(Client(), clock)
    assert refused.status_code == 403
    assert "known customers" in refused.context["form"].errors["email"][0]
    assert not Case.objects.exists() and not Contact.objects.exists()
    assert WebFormSubmission.objects.get().outcome == SubmissionOutcome.UNKNOWN_CONTACT
    Contact.objects.create(tenant=tenant, email="carla@example.com", name="Carla")
    assert _post(Client(), clock).status_code == 302
    assert Case.objects.count() == 1


def test_the_form_is_per_tenant(tenant, other_tenant, clock) -> None:
    assert Client().get("/portal/no-such-tenant/new").status_code == 404
    _settings(tenant, form_categories=["Billing"])
    page = Client().get(URL)
    choices = [value for value, _ in page.context["form"].fields["category"].choices]
    assert choices == ["", "Billing"]
    refused = _post(Client(), clock, category="Technical")
    assert refused.status_code == 422 and "category" in refused.context["form"].errors
    _post(Client(), clock, url="/portal/globex/new", category="Technical")
    assert Case.objects.get().tenant_id == other_tenant.pk
    _settings(tenant, form_enabled=False)
    assert Client().get(URL).status_code == 404


def _article(tenant: Any, title: str, *, visibility: str = "public",
             publish: bool = True) -> Any:
    article = article_create(tenant=tenant, author=None, title=title, body="Body text.",
                             visibility=visibility, now=NOW)
    return article_publish(article=article, actor=None, now=NOW) if publish else article


def test_suggestions_are_the_tenants_published_public_articles(tenant, other_tenant) -> None:
    shown = _article(tenant, "Printer jams and paper")
    _article(tenant, "Printer internal notes", visibility="internal")
    _article(tenant, "Printer draft", publish=False)
    _article(other_tenant, "Printer elsewhere")
    response = Client().get(f"{URL}/suggestions", {"subject": "printer"},
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    links = [a.title for a in response.context["articles"]]
    assert links == [shown.title]
    assert f"/portal/acme/kb/{shown.slug}".encode() in response.content
    assert Client().get(f"{URL}/suggestions", {"q": ""}).content.strip() == b""


def test_a_submit_records_the_visitors_case(tenant, clock) -> None:
    client = Client()
    client.cookies[COOKIE] = VISITOR
    _post(client, clock)
    case = Case.objects.get()
    event = KbEvent.objects.get(kind=KbEventKind.VISITOR_CASE)
    assert event.case_id == case.pk and event.visitor == VISITOR


def test_the_embed_page_may_be_framed_by_the_listed_sites(tenant, clock) -> None:
    _settings(tenant, embed_origins=["https://www.acme.example"])
    page = Client().get("/portal/acme/embed")
    policy = page["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.acme.example" in policy
    assert "X-Frame-Options" not in page
    assert "frame-ancestors 'none'" in Client().get(URL)["Content-Security-Policy"]
    # Its post needs no CSRF cookie (a third-party frame gets none) and stays framable.
    client = Client(enforce_csrf_checks=True)
    response = _post(client, clock, url="/portal/acme/embed")
    assert response.status_code == 302 and "/embed/thanks" in response["Location"]
    thanks = client.get(response["Location"])
    assert "https://www.acme.example" in thanks["Content-Security-Policy"]
    assert Case.objects.get().source == "web"


def test_cross_origin_posts_only_from_the_listed_sites(tenant, clock) -> None:
    _settings(tenant, embed_origins=["https://www.acme.example"])
    fields = {k: v for k, v in _fields("").items() if k != "stamp"}
    client = Client(enforce_csrf_checks=True)
    refused = client.post(URL, fields, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    refused = client.post(URL, fields)
    assert refused.status_code == 403
    assert not Case.objects.exists() and not WebFormSubmission.objects.exists()
    accepted = client.post(URL, fields, HTTP_ORIGIN="https://www.acme.example")
    assert accepted.status_code == 302
    token = parse_qs(urlsplit(accepted["Location"]).query)["r"][0]
    assert webform.read_thanks(token) == Case.objects.get().display_number
    by_referer = client.post(URL, {**fields, "email": "dan@example.com"},
                             HTTP_REFERER="https://www.acme.example/contact")
    assert by_referer.status_code == 302
    assert Case.objects.count() == 2


def test_the_same_origin_form_needs_its_csrf_token(tenant, clock) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL)
    stamp = str(page.context["form"]["stamp"].value())
    clock.advance(seconds=5)
    assert client.post(URL, _fields(stamp)).status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(URL, {**_fields(stamp), "csrfmiddlewaretoken": token})
    assert response.status_code == 302


SETTINGS_URL = "/settings/web-form"


def _admin_post(**overrides: Any) -> dict[str, Any]:
    return {"form_enabled": "on", "form_categories": ["Billing"], "max_files": "2",
            "max_file_megabytes": "1.5", "file_types": ["image/png", "application/pdf"],
            "embed_origins": "https://www.acme.example\nhttp://localhost:8080/", **overrides}


def test_admins_change_the_settings_and_see_the_snippets(tenant, admin, clock) -> None:
    client = login(admin)
    page = client.get(SETTINGS_URL)
    assert page.status_code == 200
    assert b"&lt;iframe" in page.content and b"/portal/acme/embed" in page.content
    assert b"/portal/acme/new" in page.content
    response = client.post(SETTINGS_URL, _admin_post())
    assert response.status_code == 302
    config = PortalSettings.objects.get(tenant=tenant)
    assert config.form_categories == ["Billing"] and config.max_files == 2
    assert config.max_file_bytes == int(1.5 * 1024 * 1024)
    assert config.file_types == ["image/png", "application/pdf"]
    assert config.embed_origins == ["https://www.acme.example", "http://localhost:8080"]
    assert config.only_known_contacts is False and config.updated_at == NOW


@pytest.mark.parametrize(("field", "value"), [
    ("embed_origins", "https://www.acme.example/contact"),
    ("embed_origins", "javascript:alert(1)"),
    ("embed_origins", "https://user@host.example"),
    ("max_files", "50"),
    ("form_categories", ["Not a category"]),
    ("file_types", ["application/x-msdownload"]),
])
def test_the_settings_are_validated(tenant, admin, field, value) -> None:
    response = login(admin).post(SETTINGS_URL, _admin_post(**{field: value}))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not PortalSettings.objects.filter(tenant=tenant).exists()


def test_managers_read_agents_are_refused(tenant, manager, agent) -> None:
    page = login(manager).get(SETTINGS_URL)
    assert page.status_code == 200 and b"Only an admin changes these" in page.content
    assert login(manager).post(SETTINGS_URL, _admin_post()).status_code == 403
    assert login(agent).get(SETTINGS_URL).status_code == 403
    assert not PortalSettings.objects.filter(tenant=tenant).exists()


def test_a_signed_in_customer_gets_the_form_filled_and_a_portal_case(tenant, clock) -> None:
    from casedesk.cases.models import Case
    from tests.factories import ContactFactory
    from tests.portal.helpers import signed_in

    contact = ContactFactory(tenant=tenant, name="Pat Portal", email="pat@customer.example")
    client = signed_in(tenant, contact)
    form = client.get(URL).content.decode()
    assert 'value="pat@customer.example"' in form and 'value="Pat Portal"' in form
    # Whatever the post says, the case is the signed-in customer's.
    response = _post(client, clock, email="someone.else@example.com", name="Someone")
    number = _thanks_number(client, response)
    case = Case.objects.get(tenant=tenant, number=int(number.removeprefix("CS-")))
    assert case.source == "portal" and case.contact == contact
    assert client.get(f"/portal/acme/cases/{case.number}").status_code == 200

"""The web-to-case form's decisions: whether a post is spam, whether its sender or network
has posted too much lately, whether its files are acceptable, and the case it makes.

Spam is told without third parties: a honeypot field people never see (hidden by the
stylesheet, so a bot filling every field fills it), and the time since the form was drawn,
carried by a signed stamp (`fill_stamp`): a form sent back within MIN_FILL_SECONDS was not
filled in by a person. Spam is answered like a success (a bot learns nothing) and makes
nothing.

The rate limits count the tenant's `WebFormSubmission` rows (so every web process sees the
same counts): CLIENT_LIMIT posts per CLIENT_WINDOW from one network (`core.throttle`'s key:
the IPv4 address or the IPv6 /64) and EMAIL_LIMIT per EMAIL_WINDOW for one address. Posts that
were themselves held back are not counted, so waiting `retry_after` seconds is enough.

A file's type is read from its bytes (`real_type`), never taken from what the browser says,
and must be one of the tenant's `file_types`. Every post decided here writes one
`WebFormSubmission` with its outcome; a post refused as bad input (a missing subject, a file
too large) writes none: the form is shown again.
"""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.customfields import FieldKind, FieldSpec, clean_value
from casedesk.cases.models import Case, CustomFieldDefinition, PicklistKind, PicklistValue
from casedesk.cases.models import Source as CaseSource
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.files import DOCX
from casedesk.core.files import KNOWN_TYPES as KNOWN_TYPES
from casedesk.core.files import real_type as real_type
from casedesk.core.limits import check_fits, clipped, fit_problem
from casedesk.core.text import check_text, is_storable
from casedesk.crm.models import Contact
from casedesk.crm.services import contact_for_email
from casedesk.kb import events
from casedesk.kb.attachments import clean_filename
from casedesk.mail.models import Attachment
from casedesk.portal.config import portal_settings
from casedesk.portal.models import PortalSettings, SubmissionOutcome, WebFormSubmission
from casedesk.tenancy.models import Tenant

MIN_FILL_SECONDS = 3
# A form drawn longer ago than this is stale: drawn again (its stamp no longer counts).
STAMP_MAX_AGE = timedelta(days=1)
CLIENT_LIMIT = 5
CLIENT_WINDOW = timedelta(minutes=10)
EMAIL_LIMIT = 3
EMAIL_WINDOW = timedelta(hours=1)
_SALT = "casedesk.portal.webform"
_THANKS_SALT = "casedesk.portal.webform.thanks"
THANKS_MAX_AGE = 3600  # seconds: a thank-you link works for an hour
_DOCX = DOCX  # the name the portal's tests have always read


class Throttled(DomainError):
    """Too many posts from this network or address lately: 429 with Retry-After."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("You have sent this form several times in a short while. Please "
                         f"wait {_wait(retry_after)} and send it again.")
        self.retry_after = retry_after


class UnknownContact(DomainError):
    """The tenant takes the form only from people it knows, and this address is not one."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("This form accepts requests only from known customers, and we do "
                         "not know this email address. Please write to us by email or use the "
                         "address we know you by.")


def _wait(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{seconds} seconds" if seconds < 60 else f"{minutes} minute{'s' * (minutes != 1)}"


# --- the stamp -------------------------------------------------------------------------------


def fill_stamp(now: datetime) -> str:
    """The signed stamp a form is drawn with: when it was drawn, and a one-time key that makes
    a second send of the same form (a double click) return the case the first one made."""
    return signing.dumps({"t": now.timestamp(), "k": uuid.uuid4().hex}, salt=_SALT)


@dataclass(frozen=True)
class Stamp:
    drawn_at: float
    key: str


def read_stamp(value: str, now: datetime) -> Stamp | None:
    """The stamp's contents, or None for a missing, forged or stale one."""
    try:
        data = signing.loads(value or "", salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    drawn, key = data.get("t"), data.get("k")
    if not isinstance(drawn, float | int) or not isinstance(key, str):
        return None
    if now.timestamp() - drawn > STAMP_MAX_AGE.total_seconds():
        return None
    return Stamp(float(drawn), key)


def thanks_token(display_number: str) -> str:
    """What the thank-you page's address carries: the case number ("" for spam), signed."""
    return signing.dumps({"n": display_number}, salt=_THANKS_SALT)


def read_thanks(token: str) -> str | None:
    """The case number a thank-you link names ("" for none), or None for a bad link."""
    try:
        data = signing.loads(token or "", salt=_THANKS_SALT, max_age=THANKS_MAX_AGE)
    except signing.BadSignature:
        return None
    number = data.get("n") if isinstance(data, dict) else None
    return number if isinstance(number, str) else None


# --- files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile[bytes]
    filename: str
    content_type: str
    size: int


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def check_files(uploads: list[UploadedFile[bytes]], config: PortalSettings
                ) -> list[CheckedFile]:
    """The uploads, each named and typed, or Invalid (naming `attachments`): too many, one
    empty or too large, or one whose real type the tenant does not take."""
    if len(uploads) > config.max_files:
        raise Invalid(f"Attach at most {config.max_files} file"
                      f"{'s' * (config.max_files != 1)}.", field="attachments")
    checked = []
    for upload in uploads:
        filename = clipped(Attachment, "filename", clean_filename(upload.name or ""))
        size = int(upload.size or 0)
        if size == 0:
            raise Invalid(f"{filename} is empty.", field="attachments")
        if size > config.max_file_bytes:
            raise Invalid(f"{filename} is larger than {_size(config.max_file_bytes)}, the most "
                          "a file may be.", field="attachments")
        content_type = real_type(upload, config.max_file_bytes)
        if content_type not in set(config.file_types or []):
            raise Invalid(f"{filename}: files of this type are not accepted.",
                          field="attachments")
        checked.append(CheckedFile(upload, filename, content_type, size))
    return checked


def _store_files(tenant: Tenant, case: Case, files: list[CheckedFile], now: datetime,
                 saved: list[str]) -> None:
    """Keeps the files in Django's storage and their rows on the case; `saved` collects the
    storage names so that the caller can remove them should the transaction fail."""
    rows = []
    for item in files:
        row = Attachment(tenant=tenant, case=case, filename=item.filename,
                         content_type=item.content_type, size=item.size, created_at=now)
        # A random storage name: nothing the sender chose reaches a storage path.
        row.file.save(f"{secrets.token_hex(16)}.bin", item.upload, save=False)
        saved.append(row.file.name or "")
        rows.append(row)
    Attachment.objects.bulk_create(rows)


# --- what the form offers ---------------------------------------------------------------------


def offered_categories(tenant: Tenant, config: PortalSettings) -> list[str]:
    """The categories the form offers: the tenant's active ones, in their order, limited to
    the admin's choice when there is one."""
    values = list(PicklistValue.objects.filter(
        tenant=tenant, kind=PicklistKind.CATEGORY, is_active=True)
        .order_by("position", "value").values_list("value", flat=True))
    chosen = set(config.form_categories or [])
    return [v for v in values if v in chosen] if chosen else values


def web_form_fields(tenant: Tenant) -> list[CustomFieldDefinition]:
    """The tenant's active custom fields shown on the web form, in their order."""
    return list(CustomFieldDefinition.objects.filter(
        tenant=tenant, is_active=True, show_on_web_form=True).order_by("position", "key"))


def _clean_custom(definitions: list[CustomFieldDefinition], values: dict[str, Any]
                  ) -> dict[str, Any]:
    """The web form's custom values, checked; its own required fields bind here (the case's
    checks bind those of the agents' new-case page)."""
    cleaned: dict[str, Any] = {}
    for d in definitions:
        spec = FieldSpec(key=d.key, label=d.label, kind=FieldKind(d.kind),
                         required=d.required, choices=tuple(d.choices))
        value = values.get(d.key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if d.required and d.kind != "checkbox":
                raise Invalid(f"{d.label}: this field is required.",
                              field=f"custom_fields.{d.key}")
            if d.kind == "checkbox" and d.required:
                cleaned[d.key] = False
            continue
        if d.kind == "checkbox" and value is False and not d.required:
            continue
        cleaned[d.key] = clean_value(spec, value)
    return cleaned


# --- the limits -------------------------------------------------------------------------------


def _retry_after(rows: Any, limit: int, window: timedelta, now: datetime) -> int | None:
    times = list(rows.filter(created_at__gt=now - window)
                 .exclude(outcome=SubmissionOutcome.THROTTLED)
                 .order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(times) < limit:
        return None
    # Once the oldest of the last `limit` posts leaves the window, one more fits.
    return max(1, int((times[-1] + window - now).total_seconds()) + 1)


def throttle_check(tenant: Tenant, client: str, email: str, now: datetime) -> None:
    """Throttled when the network or the address has posted its limit within the window."""
    mine = WebFormSubmission.objects.filter(tenant=tenant)
    waits = [_retry_after(mine.filter(client=client), CLIENT_LIMIT, CLIENT_WINDOW, now)]
    if email:
        waits.append(_retry_after(mine.filter(email=email), EMAIL_LIMIT, EMAIL_WINDOW, now))
    longest = max((w for w in waits if w is not None), default=None)
    if longest is not None:
        raise Throttled(longest)


def _log(tenant: Tenant, client: str, email: str, outcome: str, now: datetime,
         case: Case | None = None) -> WebFormSubmission:
    email = email if fit_problem(WebFormSubmission, "email", email) is None else ""
    return WebFormSubmission.objects.create(tenant=tenant, client=client[:64], email=email,
                                            outcome=outcome, case=case, created_at=now)


# --- the submission ---------------------------------------------------------------------------


@dataclass
class WebFormInput:
    """One post of the form as the page parsed it."""

    name: str
    email: str
    subject: str
    description: str
    category: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)
    files: list[UploadedFile[bytes]] = field(default_factory=list)
    # Who sent it: `core.throttle.client_key` of the client's address; the kb visitor key.
    client: str = "unknown"
    visitor: str = ""
    honeypot: str = ""
    stamp: str = ""
    # A signed-in portal customer's form: a case of source `portal`.
    source: str = CaseSource.WEB
    # A post of the plain HTML snippet from an allowed site: it has no stamp to time.
    from_snippet: bool = False


@dataclass(frozen=True)
class Submitted:
    outcome: str
    case: Case | None = None

    @property
    def display_number(self) -> str:
        return self.case.display_number if self.case is not None else ""


def _is_spam(data: WebFormInput, now: datetime) -> bool:
    if data.honeypot.strip():
        return True
    if data.from_snippet and not data.stamp:
        return False
    stamp = read_stamp(data.stamp, now)
    return stamp is None or now.timestamp() - stamp.drawn_at < MIN_FILL_SECONDS


def _check_input(data: WebFormInput, config: PortalSettings) -> None:
    for name, label in (("name", "Your name"), ("subject", "The subject"),
                        ("description", "The description")):
        check_text(getattr(data, name), field=name, label=label)
    if not data.subject.strip():
        raise Invalid("Say in a few words what it is about.", field="subject")
    check_fits(Contact, {"name": data.name, "email": data.email})
    check_fits(Case, {"subject": data.subject})
    if data.category and data.category not in offered_categories(config.tenant, config):
        raise Invalid("Choose one of the categories offered.", field="category")


def _countable(email: str) -> str:
    """The address as the limits count it: lower-cased, or "" when it is nothing the
    database can hold (a refused post's raw value: NUL bytes, too long)."""
    email = email.strip().lower()
    if not is_storable(email) or fit_problem(WebFormSubmission, "email", email) is not None:
        return ""
    return email


def screen(*, tenant: Tenant, data: WebFormInput, now: datetime) -> Submitted | None:
    """The checks every post gets, even one the form refuses as bad input: Throttled when
    its network or address has posted its limit; a recorded SPAM outcome for a bot's post;
    None for a post to look at further."""
    email = _countable(data.email)
    throttle_check(tenant, data.client, email, now)
    if _is_spam(data, now):
        _log(tenant, data.client, email, SubmissionOutcome.SPAM, now)
        return Submitted(SubmissionOutcome.SPAM)
    return None


def submit(*, tenant: Tenant, data: WebFormInput, now: datetime) -> Submitted:
    """Decides one post of the form and records it: spam (honeypot, too fast, no valid stamp)
    makes nothing; Throttled, UnknownContact or Invalid refuse it; otherwise a case through
    `case_create` (routing, SLA clocks), the sender's contact (made when new), the files, the
    acknowledgement in the outbox and the kb visitor's case, in one transaction."""
    config = portal_settings(tenant)
    email = data.email.strip().lower()
    if not config.form_enabled:
        raise Invalid("This form is closed.")
    spam = screen(tenant=tenant, data=data, now=now)
    if spam is not None:
        return spam
    _check_input(data, config)
    custom = _clean_custom(web_form_fields(tenant), data.custom_fields)
    files = check_files(data.files, config)
    if config.only_known_contacts and not Contact.objects.filter(
            tenant=tenant, email=email).exists():
        _log(tenant, data.client, email, SubmissionOutcome.UNKNOWN_CONTACT, now)
        raise UnknownContact()
    stamp = read_stamp(data.stamp, now)
    saved: list[str] = []
    try:
        with transaction.atomic():
            contact = contact_for_email(tenant, email, data.name.strip())
            case, created = case_create(
                tenant=tenant, actor=None, now=now,
                idempotency_key=f"webform-{stamp.key}" if stamp is not None else None,
                data=CaseInput(subject=data.subject.strip(), description=data.description,
                               category=data.category, source=data.source,
                               contact_id=contact.pk, custom_fields=custom))
            if created:
                _store_files(tenant, case, files, now, saved)
                events.record_visitor_case(case, data.visitor, now)
            _log(tenant, data.client, email, SubmissionOutcome.ACCEPTED, now, case)
    except BaseException:
        # No row points at the files stored for the case that was not made.
        for name in saved:
            default_storage.delete(name)
        raise
    return Submitted(SubmissionOutcome.ACCEPTED, case)

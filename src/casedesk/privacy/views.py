"""The privacy pages: `/settings/privacy` (the retention period, the latest erasures; admins
change, managers read) and `/settings/privacy/contacts/<id>/erase` (admins: what an erasure
would remove, and the button)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.forms import add_domain_error
from casedesk.crm.access import get_contact_for_member
from casedesk.privacy import selectors
from casedesk.privacy.erasure import contact_erase, erasure_preview
from casedesk.privacy.forms import EraseForm, RetentionForm
from casedesk.privacy.redaction import is_erased_email
from casedesk.privacy.settings import privacy_settings_update
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

PREVIEW_LABELS = {
    "cases": "Cases they are the contact of (kept, with their name and email removed)",
    "cases_taken_part_in": "Other cases they were copied on or wrote to",
    "messages": "Their messages on cases (the text is removed)",
    "mail_received": "Mail they sent, as received (removed)",
    "attachments": "Files they sent (deleted)",
    "mail_sent": "Mail sent to them (address and text removed)",
    "surveys": "Satisfaction surveys (comment and address removed; the rating stays)",
    "portal_sign_ins": "Portal sign-in links and sessions (deleted)",
    "chats": "Their live chats: transcripts and files (deleted)",
}


@member_required
@require_http_methods(["GET", "POST"])
def settings_page(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    tenant = membership.tenant
    if request.method == "GET":
        form = RetentionForm(initial=RetentionForm.initial_of(tenant.retention_months))
        return _settings(request, form, can_edit=membership.is_admin)
    require_admin(membership)
    form = RetentionForm(request.POST)
    if form.is_valid():
        try:
            privacy_settings_update(
                tenant=tenant, actor=membership.user, via="web",
                changes={"retention_months": form.cleaned_data["retention_months"]})
        except Invalid as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Privacy settings saved.")
            return redirect("privacy:settings")
    return _settings(request, form, can_edit=True, status=Invalid.status_code)


def _settings(request: PageRequest, form: RetentionForm, *, can_edit: bool,
              status: int = 200) -> HttpResponse:
    tenant_id = member(request).tenant_id
    return render(request, "privacy/settings.html", {
        "nav": "settings", "form": form, "can_edit": can_edit,
        "erasures": selectors.erasures_recent(tenant_id),
        "anonymised": selectors.anonymised_count(tenant_id)}, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def erase_page(request: PageRequest, pk: int) -> HttpResponse:
    membership = require_admin(member(request))
    contact = get_contact_for_member(membership, pk)
    if is_erased_email(contact.email):
        messages.info(request, "This contact has been erased already.")
        return redirect("crm:contact_detail", pk=contact.pk)
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        contact_erase(contact=contact, actor=membership.user, now=clock.now(), via="web")
        messages.success(request, "The contact's personal data was erased.")
        return redirect("crm:contact_detail", pk=contact.pk)
    preview = erasure_preview(contact)
    rows = [(PREVIEW_LABELS[k], v) for k, v in preview.items()]
    return render(request, "privacy/erase.html", {
        "nav": "contacts", "contact": contact, "form": form, "rows": rows},
        status=Invalid.status_code if request.method == "POST" else 200)

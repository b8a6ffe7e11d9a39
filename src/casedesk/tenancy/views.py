"""The tenant's administration pages: its settings (`/settings/`), its people and their
invitations (`/settings/people`), accepting an invitation, and password reset by email.

Admins change; managers read. Forms are plain posts answered with a redirect and a message;
a refusal shows the page again with the reason on its field, and nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core import clock
from casedesk.core.errors import DomainError
from casedesk.core.forms import add_domain_error
from casedesk.core.redirects import site_base
from casedesk.tenancy import hooks, invitations, services
from casedesk.tenancy.access import get_member
from casedesk.tenancy.forms import (
    AcceptForm,
    InviteForm,
    MemberForm,
    OutboxPasswordResetForm,
    TenantSettingsForm,
)
from casedesk.tenancy.models import Invitation, Membership, User
from casedesk.tenancy.selectors import members_of
from casedesk.tenancy.web import (
    SESSION_TENANT,
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

_AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


@member_required
@require_http_methods(["GET", "POST"])
def settings_home(request: PageRequest) -> HttpResponse:
    """The tenant's settings in one place: its own here, links to the pages that keep the
    rest (people, queues, fields, routing, SLA, mail)."""
    membership = require_manager(member(request))
    tenant = membership.tenant
    form = TenantSettingsForm.of(tenant)
    status = 200
    if request.method == "POST":
        require_admin(membership)
        form = TenantSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.tenant_settings_change(tenant=tenant, changes=form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, "Settings saved.")
                return redirect("tenancy:settings")
        status = 422
    return render(request, "tenancy/settings.html", {
        "nav": "settings", "form": form, "can_edit": membership.is_admin, "tenant": tenant,
        "member_count": members_of(tenant.pk).count(),
        "open_invitations": len(invitations.open_invitations(tenant))}, status=status)


def _people_page(request: PageRequest, membership: Membership, *,
                 invite_form: InviteForm | None = None, status: int = 200) -> HttpResponse:
    tenant = membership.tenant
    people = list(members_of(tenant.pk, active_only=False).select_related("manager__user"))
    queues = hooks.queues_of_members(tenant)
    open_cases = hooks.open_case_counts(tenant)
    rows = [{"member": m, "queues": queues.get(m.user_id, []),
             "open_cases": open_cases.get(m.user_id, 0)}
            for m in sorted(people, key=lambda m: not m.is_active)]
    return render(request, "tenancy/people.html", {
        "nav": "settings", "rows": rows, "can_edit": membership.is_admin,
        "invitations": invitations.open_invitations(tenant), "now": clock.now(),
        "invite_form": invite_form or InviteForm(tenant=tenant)}, status=status)


@member_required
@require_GET
def people(request: PageRequest) -> HttpResponse:
    return _people_page(request, require_manager(member(request)))


@member_required
@require_POST
def invite(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    form = InviteForm(request.POST, tenant=membership.tenant)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitations.invitation_create(
                tenant=membership.tenant, actor=membership.user, base_url=site_base(request),
                now=clock.now(), data=invitations.InvitationInput(
                    email=data["email"], role=data["role"], manager_id=data["manager"],
                    skills=data["skills"], territory=data["territory"],
                    capacity=data["capacity"], queue_ids=data["queues"]))
        except DomainError as error:
            add_domain_error(form, error, form.service_fields)
        else:
            messages.success(request, f"Invitation mailed to {invitation.email}.")
            return redirect("tenancy:people")
    return _people_page(request, membership, invite_form=form, status=422)


def _invitation(request: PageRequest, invitation_id: int) -> tuple[Membership, Invitation]:
    membership = require_admin(member(request))
    return membership, invitations.get_invitation(membership.tenant, invitation_id)


@member_required
@require_POST
def invitation_resend(request: PageRequest, invitation_id: int) -> HttpResponse:
    _, invitation = _invitation(request, invitation_id)
    try:
        invitations.invitation_resend(invitation=invitation, base_url=site_base(request),
                                      now=clock.now())
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Invitation mailed again to {invitation.email}; the "
                                  "earlier link no longer works.")
    return redirect("tenancy:people")


@member_required
@require_POST
def invitation_revoke(request: PageRequest, invitation_id: int) -> HttpResponse:
    _, invitation = _invitation(request, invitation_id)
    try:
        invitations.invitation_revoke(invitation=invitation, now=clock.now())
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    return redirect("tenancy:people")


def _person(request: PageRequest, user_id: int) -> tuple[Membership, Membership]:
    """(the signed-in member, the member the page is about: active or not, of this tenant)."""
    membership = require_manager(member(request))
    return membership, get_member(membership, user_id)


@member_required
@require_http_methods(["GET", "POST"])
def person(request: PageRequest, user_id: int) -> HttpResponse:
    """One member: role and manager; deactivate or re-activate; their open cases."""
    membership, person = _person(request, user_id)
    form = MemberForm(membership=person)
    status = 200
    if request.method == "POST":
        require_admin(membership)
        form = MemberForm(request.POST, membership=person)
        if form.is_valid():
            try:
                services.membership_update(membership=person, actor=membership, changes={
                    "role": form.cleaned_data["role"],
                    "manager_id": form.cleaned_data["manager"]})
            except DomainError as error:
                add_domain_error(form, error, form.service_fields)
            else:
                messages.success(request, f"{person.user.display_name} saved.")
                return redirect("tenancy:person", user_id=person.user_id)
        status = 422
    return render(request, "tenancy/person.html", {
        "nav": "settings", "person": person, "form": form, "can_edit": membership.is_admin,
        "is_me": person.pk == membership.pk,
        "open_cases": hooks.open_case_counts(membership.tenant).get(person.user_id, 0),
        "queues": hooks.queues_of_members(membership.tenant).get(person.user_id, [])},
        status=status)


@member_required
@require_POST
def person_active(request: PageRequest, user_id: int) -> HttpResponse:
    """Deactivates (`active=0`) or re-activates (`active=1`) a member. Deactivating someone
    who owns open cases leads on to handing them on."""
    membership, person = _person(request, user_id)
    require_admin(membership)
    active = request.POST.get("active") == "1"
    try:
        services.membership_update(membership=person, actor=membership,
                                   changes={"is_active": active})
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("tenancy:person", user_id=person.user_id)
    name = person.user.display_name
    if active:
        messages.success(request, f"{name} is active again and may sign in.")
        return redirect("tenancy:person", user_id=person.user_id)
    messages.success(request, f"{name} is deactivated: they can no longer sign in to "
                              f"{membership.tenant.name} or use its API tokens.")
    if hooks.open_case_counts(membership.tenant).get(person.user_id):
        return redirect("console:member_cases", user_id=person.user_id)
    return redirect("tenancy:person", user_id=person.user_id)


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """Where an invitation's link leads: a new person chooses a name and password; someone
    with an account signs in (if they have not) and joins. Either way they land in the
    tenant, signed in."""
    now = clock.now()
    try:
        invitation = invitations.invitation_for_token(token, now=now)
    except invitations.InvitationRefused as refused:
        return render(request, "tenancy/invitation_refused.html", {"reason": refused.reason},
                      status=410)
    user = request.user if isinstance(request.user, User) else None
    account = invitations.account_of(invitation)
    if user is not None and (account is None or user.pk != account.pk):
        step = "other_user"
    elif account is None or (user is None and not account.has_usable_password()):
        step = "new_password"
    elif user is None:
        step = "sign_in"
    else:
        step = "join"
    form = AcceptForm(request.POST or None) if step == "new_password" else None
    error = ""
    if request.method == "POST" and step in ("new_password", "join") and (
            form is None or form.is_valid()):
        data = form.cleaned_data if form is not None else {}
        try:
            joined = invitations.invitation_accept(
                invitation=invitation, user=user, full_name=data.get("full_name", ""),
                password=data.get("password", ""), now=now)
        except DomainError as refusal:
            if form is not None:
                add_domain_error(form, refusal)
            else:
                error = refusal.detail
        else:
            if user is None:
                login(request, joined.user, backend=_AUTH_BACKEND)
            request.session[SESSION_TENANT] = joined.tenant_id
            messages.success(request, f"Welcome to {joined.tenant.name}.")
            return redirect("console:inbox")
    return render(request, "tenancy/accept.html", {
        "invitation": invitation, "form": form, "step": step, "user": user, "error": error,
        "login_url": f"{reverse('login')}?next={request.path}"},
        status=422 if request.method == "POST" else 200)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, mailed through the outbox, with links to CASEDESK_BASE_URL
    when set."""

    form_class = OutboxPasswordResetForm
    template_name = "tenancy/password_reset.html"
    email_template_name = "tenancy/password_reset_email.txt"
    subject_template_name = "tenancy/password_reset_subject.txt"
    success_url = reverse_lazy("tenancy:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {"base_url": site_base(self.request)}
        return super().form_valid(form)


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="tenancy/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="tenancy/password_reset_confirm.html",
    success_url=reverse_lazy("tenancy:password_reset_complete"))
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="tenancy/password_reset_complete.html")

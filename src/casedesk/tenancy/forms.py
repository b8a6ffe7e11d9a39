"""The forms of the tenant's administration pages: they parse what the browser sent; the
services in `tenancy.services` and `tenancy.invitations` decide whether it is acceptable."""

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.template.loader import render_to_string

from casedesk.core import clock
from casedesk.tenancy import hooks
from casedesk.tenancy.availability import MAX_CAPACITY
from casedesk.tenancy.models import Membership, Role, Tenant, User

ROLE_HELP = ("Agents work cases; managers also see the set-up pages and reports; admins "
             "change the set-up and the people.")


def time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(available_timezones())]


def manager_choices(tenant: Tenant, *, leaving_out: int | None = None
                    ) -> list[tuple[str, str]]:
    members = (Membership.objects.filter(tenant=tenant, is_active=True).select_related("user")
               .order_by("user__full_name", "user__email"))
    if leaving_out is not None:
        members = members.exclude(user_id=leaving_out)
    return [("", "No manager")] + [(str(m.user_id), m.user.display_name) for m in members]


class SkillsField(forms.CharField):
    """Skills typed as one line, separated by commas (the service checks each one)."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [skill.strip() for skill in text.split(",") if skill.strip()] if text else []


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT, help_text=ROLE_HELP)
    manager = forms.TypedChoiceField(choices=(), coerce=int, required=False, empty_value=None)
    queues = forms.TypedMultipleChoiceField(choices=(), coerce=int, required=False)
    skills = SkillsField(required=False, max_length=1000,
                         help_text="Comma-separated words routing matches, e.g. billing, de.")
    territory = forms.CharField(required=False, max_length=100)
    capacity = forms.IntegerField(min_value=0, max_value=MAX_CAPACITY, initial=20,
                                  help_text="Open cases routing may give them at once.")

    # The service's names of the fields, where they differ from the form's.
    service_fields = {"manager_id": "manager", "queue_ids": "queues"}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = manager_choices(tenant)  # type: ignore[attr-defined]
        self.fields["queues"].choices = [  # type: ignore[attr-defined]
            (str(pk), name) for pk, name in hooks.queue_choices(tenant)]


class MemberForm(forms.Form):
    """A member's role and manager (their routing facts and queues have their own pages)."""

    role = forms.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)
    manager = forms.TypedChoiceField(choices=(), coerce=int, required=False, empty_value=None)

    service_fields = {"manager_id": "manager"}

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "role": membership.role,
            "manager": membership.manager.user_id if membership.manager else None})
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = manager_choices(  # type: ignore[attr-defined]
            membership.tenant, leaving_out=membership.user_id)


MIB = 1024 * 1024


class MegabytesField(forms.IntegerField):
    """A size typed in megabytes (MiB), cleaned to bytes."""

    def clean(self, value: Any) -> int | None:
        megabytes = super().clean(value)
        return None if megabytes is None else int(megabytes) * MIB


class TypeListField(forms.CharField):
    """File types typed as one line, separated by commas or spaces, cleaned to a list."""

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        return [item for item in text.replace(",", " ").split() if item]


class TenantSettingsForm(forms.Form):
    """The tenant's own settings; the SLA, mail and routing pages keep theirs."""

    name = forms.CharField(max_length=200)
    time_zone = forms.ChoiceField(choices=time_zone_choices, help_text=(
        "Pages show times in it; new business-hours calendars start in it."))
    routing_enabled = forms.BooleanField(required=False, label="Route new cases", help_text=(
        "With the routing rules, then the fallback by category."))
    reroute_on_category_change = forms.BooleanField(
        required=False, label="Route again when the category changes")
    reopen_limit = forms.IntegerField(min_value=0, max_value=100, label="Re-openings allowed",
                                      help_text="How many times a closed case may be re-opened.")
    reopen_window_hours = forms.IntegerField(
        min_value=0, max_value=24 * 365, label="Re-open window (hours)",
        help_text="How long after closing a customer's reply re-opens the case.")
    parent_close_needs_children_closed = forms.BooleanField(
        required=False, label="A parent case closes only after its children",
        help_text="Closing a parent case is refused while one of its child cases is open.")
    kb_agents_may_draft = forms.BooleanField(
        required=False, label="Agents may write knowledge-base drafts",
        help_text="Managers and admins publish them.")
    attachment_max_bytes = MegabytesField(
        required=False, min_value=1, max_value=2047, label="Largest attachment (MB)",
        help_text="The largest file agents may attach to a reply or note.")
    attachment_types = TypeListField(
        required=False, max_length=2000, label="Attachment types", help_text=(
            "Extensions or media types, separated by commas: pdf, png, jpg, docx, "
            "application/zip … A file's type is read from its bytes. Empty: the "
            "installation's list."))

    # Sent only by the settings page itself: a post without them leaves them as they are.
    _KEPT_UNLESS_SENT = ("attachment_max_bytes", "attachment_types")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self._KEPT_UNLESS_SENT:
            if name not in self.data or cleaned.get(name) is None:
                cleaned.pop(name, None)
        return cleaned

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantSettingsForm":
        return cls(initial={
            "name": tenant.name, "time_zone": tenant.time_zone,
            "routing_enabled": tenant.routing_enabled,
            "reroute_on_category_change": tenant.reroute_on_category_change,
            "reopen_limit": tenant.reopen_limit,
            "reopen_window_hours": int(tenant.reopen_window.total_seconds() // 3600),
            "parent_close_needs_children_closed": tenant.parent_close_needs_children_closed,
            "kb_agents_may_draft": tenant.kb_agents_may_draft,
            "attachment_max_bytes": -(-tenant.attachment_max_bytes // MIB),
            "attachment_types": ", ".join(tenant.attachment_types or [])})


class AcceptForm(forms.Form):
    """A new person's name and password, typed twice."""

    full_name = forms.CharField(max_length=200, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, max_length=128)
    password_again = forms.CharField(widget=forms.PasswordInput, max_length=128,
                                     label="Password, again")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the mail written to the outbox (retried, and listed on
    the Mail page without its link) from the address of one of the person's tenants."""

    def send_mail(self, subject_template_name: str, email_template_name: str,
                  context: dict[str, Any], from_email: str | None, to_email: str,
                  html_email_template_name: str | None = None) -> None:
        user: User = context["user"]
        membership = (Membership.objects.filter(user=user, is_active=True)
                      .select_related("tenant").order_by("tenant__name").first())
        if membership is None:
            # Someone in no tenant (the installation's operator, say): straight through
            # Django's mail, as Django would.
            super().send_mail(subject_template_name, email_template_name, context,
                              from_email, to_email, html_email_template_name)
            return
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        hooks.send_account_mail(membership.tenant, to_email, subject, body, clock.now())

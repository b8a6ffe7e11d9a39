"""The portal's forms: they parse what the browser sent; the services (`portal.signin`,
`portal.conversation`, `portal.branding`) decide, and `add_domain_error` shows their
refusals on the field they name."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from casedesk.portal.models import PortalSettings


class SignInForm(forms.Form):
    email = forms.EmailField(label="Your email address", max_length=254)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files under one name (the service checks how many)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(one, initial) for one in data if one]
        return [super().clean(data, initial)] if data else []


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=20_000)
    attachments = MultipleFileField(label="Attach files", required=False)


class NotFixedForm(forms.Form):
    body = forms.CharField(label="What is still wrong? (optional)", required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000)


class BrandingForm(forms.Form):
    display_name = forms.CharField(
        label="Portal name", required=False,
        max_length=PortalSettings._meta.get_field("display_name").max_length,
        help_text="Shown at the top of the portal and the help centre; empty: the tenant's "
                  "name.")
    logo = forms.FileField(label="Logo", required=False,
                           help_text="PNG, JPEG or WebP, at most 1 MB.",
                           widget=forms.FileInput(attrs={
                               "accept": "image/png,image/jpeg,image/webp"}))
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    accent_colour = forms.CharField(label="Accent colour", max_length=7,
                                    help_text="#rrggbb, e.g. #1d5fbf.",
                                    widget=forms.TextInput(attrs={"type": "color"}))
    sender_name = forms.CharField(
        label="Sign-in mails signed by", required=False,
        max_length=PortalSettings._meta.get_field("sender_name").max_length,
        help_text="e.g. “Acme Support”; empty: the portal's name.")

    @classmethod
    def of(cls, settings: PortalSettings) -> "BrandingForm":
        return cls(initial={"display_name": settings.display_name,
                            "accent_colour": settings.accent_colour,
                            "sender_name": settings.sender_name})

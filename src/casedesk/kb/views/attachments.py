"""An article's files on its edit page, and the files' two addresses.

The edit page includes `kb/partials/_attachments.html`: the files with their size and a
"Copy Markdown" snippet each, an upload form and a delete button per file for those who may
edit the article. Uploading and deleting answer htmx with that box drawn again (a refusal
with its status and the box showing the reason, marked `X-Kb-Partial` so that
`kb/attachments.js` swaps it in all the same), and a plain post with a redirect back to the
page it came from (`next`) and a message.

Downloads: `kb/attachments/<id>` for the tenant's members, and the file URL under the
portal, `portal/<tenant slug>/kb/files/<id>/<name>`, which Markdown snippets use: anyone
reads it while its article is published and public (and shared caches may keep it for an
hour), the tenant's signed-in members always (so an editor's preview shows its images),
nobody else (404). Both are served by `casedesk.mail.downloads`: only real PNG, JPEG, GIF
and WebP images inline, never sniffed, sandboxed should anything be opened."""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from casedesk.core import clock
from casedesk.core.errors import DomainError, NotFound
from casedesk.core.forms import add_domain_error
from casedesk.core.redirects import safe_target
from casedesk.kb import access
from casedesk.kb.attachments import (
    attachment_add,
    attachment_delete,
    file_response,
    get_attachment_for_member,
    get_public_file,
)
from casedesk.kb.models import Article
from casedesk.tenancy.web import PageRequest, member, member_required

BOX = "kb/partials/_attachments.html#attachments"
# kb/attachments.js swaps a 4xx marked with this header into the box instead of a toast.
PARTIAL_HEADER = "X-Kb-Partial"


class AttachmentForm(forms.Form):
    """One file to attach (the service decides whether it may be kept)."""

    file = forms.FileField(label="Add a file", error_messages={
        "required": "Choose a file to upload.", "empty": "The file is empty."})


def _back_to(request: PageRequest, article: Article) -> str:
    """Where the box's forms return to: the page they were on, else the article's editor."""
    return (safe_target(request, request.POST.get("next"))
            or reverse("kb:article_edit", args=[article.pk]))


def _box(request: PageRequest, article: Article, *, form: AttachmentForm | None = None,
         status: int = 200) -> HttpResponse:
    context = {"article": article, "membership": member(request), "form": form,
               "next": _back_to(request, article)}
    response = render(request, BOX, context, status=status)
    if status >= 400:
        response[PARTIAL_HEADER] = "1"
    return response


def _back(request: PageRequest, article: Article) -> HttpResponse:
    return HttpResponseRedirect(_back_to(request, article))


@member_required
@require_POST
def attachment_upload(request: PageRequest, article_id: int) -> HttpResponse:
    """Attaches the posted file to the article (those who may edit it)."""
    membership = member(request)
    article = access.require_edit(membership,
                                  access.get_article_for_member(membership, article_id))
    form = AttachmentForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            added = attachment_add(article=article, upload=form.cleaned_data["file"],
                                   user=membership.user, now=clock.now())
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status_code
        else:
            if not request.htmx:
                messages.success(request, f"Attached {added.filename}.")
                return _back(request, article)
            return _box(request, article)
    if not request.htmx:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(text) for text in errors))
        return _back(request, article)
    return _box(request, article, form=form, status=status)


@member_required
@require_POST
def attachment_remove(request: PageRequest, attachment_id: int) -> HttpResponse:
    """Deletes the file (those who may edit its article)."""
    membership = member(request)
    attachment = get_attachment_for_member(membership, attachment_id)
    article = access.require_edit(membership, attachment.article)
    attachment_delete(attachment=attachment)
    if not request.htmx:
        messages.success(request, f"Deleted {attachment.filename}.")
        return _back(request, article)
    return _box(request, article)


# member_required is typed for HttpResponse; a FileResponse (streamed, not read into memory)
# is an HttpResponseBase, which it passes through all the same.
@member_required  # type: ignore[arg-type]
@require_safe
def attachment_download(request: PageRequest, attachment_id: int) -> FileResponse:
    """The file, for any member of the tenant."""
    return file_response(get_attachment_for_member(member(request), attachment_id),
                         public=False)


@require_safe
def public_file(request: HttpRequest, tenant_slug: str, attachment_id: int,
                filename: str) -> FileResponse:
    """The file URL (see the module's docstring); 404 for anyone it is not for."""
    user_id = int(request.user.pk) if request.user.is_authenticated else None
    try:
        found = get_public_file(tenant_slug, attachment_id, filename, user_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    return file_response(found.attachment, public=found.is_public)


urlpatterns = [
    path("kb/articles/<int:article_id>/attachments", attachment_upload,
         name="attachment_upload"),
    path("kb/attachments/<int:attachment_id>", attachment_download,
         name="attachment_download"),
    path("kb/attachments/<int:attachment_id>/delete", attachment_remove,
         name="attachment_delete"),
    path("portal/<slug:tenant_slug>/kb/files/<int:attachment_id>/<str:filename>", public_file,
         name="public_file"),
]

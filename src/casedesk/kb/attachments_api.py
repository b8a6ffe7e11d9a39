"""The files of knowledge-base articles (`/kb/articles/{article_id}/attachments`,
`/kb/attachments/{id}`): upload (multipart), list, download, delete.

Every member lists and downloads the files of the tenant's articles; those who may edit an
article (`kb.access.may_edit`) add and delete its files. Another tenant's article or file is
a 404. The limits and what is trusted of a file are `kb.attachments`'."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from casedesk.core import clock
from casedesk.core.schemas import Error
from casedesk.kb import access
from casedesk.kb.attachments import (
    MAX_FILES,
    article_attachments,
    attachment_add,
    attachment_delete,
    attachment_links,
    file_response,
    get_attachment_for_member,
    is_image,
    max_file_bytes,
)
from casedesk.kb.models import ArticleAttachment
from casedesk.tenancy.api_auth import member

router = Router(tags=["kb"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
UPLOAD_ERRORS: dict[int, type[Error]] = {**ERRORS, 413: Error}


class ArticleAttachmentOut(Schema):
    id: int
    article_id: int
    filename: str = Field(description="The name it was uploaded under, without any path or "
                                      "control characters.")
    content_type: str = Field(description=(
        "An image's type as its bytes show it (image/png, image/jpeg, image/gif, "
        "image/webp); for other files the declared type when it is a plain media type, "
        "else application/octet-stream."))
    size: int = Field(description="Bytes.")
    is_image: bool = Field(description="Shown inline by browsers (and in articles).")
    uploaded_by_id: int | None
    created_at: datetime
    download_url: str = Field(description="This API's download.")
    file_url: str = Field(description=(
        "The file's address under the tenant's portal, for articles: it serves the tenant's "
        "signed-in members always, and everyone once the article is published and public."))
    markdown: str = Field(description="`![name](file_url)` for an image, `[name](file_url)` "
                                      "for another file: to paste into the article's body.")


def _out(attachment: ArticleAttachment, tenant_slug: str) -> dict[str, Any]:
    links = attachment_links(attachment, tenant_slug)
    return {
        "id": attachment.pk, "article_id": attachment.article_id,
        "filename": attachment.filename, "content_type": attachment.content_type,
        "size": attachment.size, "is_image": is_image(attachment),
        "uploaded_by_id": attachment.uploaded_by_id, "created_at": attachment.created_at,
        "download_url": reverse("api:kb_download_attachment", args=[attachment.pk]),
        "file_url": links.file_url, "markdown": links.markdown,
    }


@router.get("/kb/articles/{article_id}/attachments",
            response={200: list[ArticleAttachmentOut], **ERRORS}, summary="An article's files")
def list_attachments(request: HttpRequest, article_id: int) -> Any:
    """Oldest first."""
    membership = member(request)
    article = access.get_article_for_member(membership, article_id)
    return [_out(a, membership.tenant.slug) for a in article_attachments(article)]


@router.post("/kb/articles/{article_id}/attachments",
             response={201: ArticleAttachmentOut, **UPLOAD_ERRORS}, summary="Attach a file",
             description=(
                 "A `multipart/form-data` body with the file in the part `file`. At most "
                 f"{max_file_bytes() // (1024 * 1024)} MB a file (413 over it) and {MAX_FILES} "
                 "files an article (409 at the limit); an empty file is a 422. Those who may "
                 "edit the article (agents: drafts, while the tenant lets them)."))
def upload_attachment(request: HttpRequest, article_id: int,
                      file: File[UploadedFile]) -> Any:
    membership = member(request)
    article = access.require_edit(membership,
                                  access.get_article_for_member(membership, article_id))
    attachment = attachment_add(article=article, upload=file, user=membership.user,
                                now=clock.now())
    return 201, _out(attachment, membership.tenant.slug)


@router.get("/kb/attachments/{attachment_id}", response=ERRORS, summary="Download a file",
            url_name="kb_download_attachment",
            openapi_extra={"responses": {200: {
                "description": ("The file. Real PNG, JPEG, GIF and WebP images are served "
                                "inline, everything else as a download; always with "
                                "`X-Content-Type-Options: nosniff`."),
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}}})
def download_attachment(request: HttpRequest, attachment_id: int) -> Any:
    return file_response(get_attachment_for_member(member(request), attachment_id),
                         public=False)


@router.delete("/kb/attachments/{attachment_id}", response={204: None, **ERRORS},
               summary="Delete a file")
def delete_attachment(request: HttpRequest, attachment_id: int) -> Any:
    """Those who may edit its article. The file leaves the storage; an article that still
    shows or links it then shows a broken image or link."""
    membership = member(request)
    attachment = get_attachment_for_member(membership, attachment_id)
    access.require_edit(membership, attachment.article)
    attachment_delete(attachment=attachment)
    return 204, None

"""Files attached to articles: images an article shows and downloads it offers, kept in
Django's storage beside mail's attachments (`ArticleAttachment.file`, under `kb/%Y/%m/`).

What a file claims about itself is not trusted. Its name is cut to the last part of any path
and cleared of control and direction-changing characters (`clean_filename`); its type is
read from its first bytes for the images browsers show (PNG, JPEG, GIF, WebP) and is
otherwise the declared type only when that is a plain media type and no image
(`sniff_content_type`). So a file is served inline only when it really is one of those
images (`casedesk.mail.downloads` serves both apps' files alike). The stored file's name is
random (`<hex>.png` for an image, `<hex>.bin` for anything else): nothing the uploader sent
reaches a storage path.

Limits: MAX_FILE_BYTES per file (the setting `CASEDESK_UPLOAD_MAX_BYTES` may lower or
raise it) and MAX_FILES per article. The service writes in one transaction under the
article's row lock, so two uploads at once cannot pass the count together. Files leave the
storage only once the deletion that drops them has committed (`transaction.on_commit`): an
attachment deleted, a draft article deleted (`article_files_drop`). An archived article
keeps its files. Permissions are the caller's (`kb.access.may_edit`); these functions trust
their caller.

Each file has two addresses: the members' download (`kb:attachment_download`) and the file
URL (`kb:public_file`, under the tenant's portal), which the Markdown snippets use: it shows
the file to the tenant's signed-in members whatever the article's state (so an editor's
preview shows its images), and to everyone once the article is published and public (so the
public page shows them). A snippet written into a draft therefore keeps working when the
article is published or made public later.
"""

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse

from casedesk.core.access import tenant_row
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.files import clean_filename as core_clean_filename
from casedesk.core.limits import max_length
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import is_storable
from casedesk.kb.models import Article, ArticleAttachment, ArticleStatus, Visibility
from casedesk.mail.downloads import INLINE_IMAGE_TYPES, attachment_response
from casedesk.tenancy.models import Membership, User

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 50
OCTET_STREAM = "application/octet-stream"
# How long shared caches may keep a published public article's file: an archived article's
# files are gone from them within the hour.
PUBLIC_MAX_AGE = 3600

# The images browsers render, by their first bytes.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
               "image/webp": ".webp"}
_HEAD_BYTES = 16
# A media type as RFC 6838 shapes it (lower-case); parameters are dropped before the match.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
# What Markdown would read as markup in a link's text or an image's alternative text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|!])")


class FileTooLarge(Invalid):
    """A file over the size limit: the API answers 413, a page shows it on the file field."""

    status_code = 413


# --- what a file claims ------------------------------------------------------------------------


def clean_filename(raw: str) -> str:
    """The name a file is shown and downloaded under (`casedesk.core.files.clean_filename`),
    within what the column holds; Invalid naming `file`."""
    return core_clean_filename(raw, limit=max_length(ArticleAttachment, "filename"))


def sniff_content_type(head: bytes, declared: str | None) -> str:
    """The type to store for a file starting with `head`: the image type its bytes show, else
    the declared type when it is a plain media type (without parameters) that is not an
    image type its bytes contradict, else application/octet-stream."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":  # "RIFF", the size, "WEBP"
        return "image/webp"
    declared = (declared or "").split(";", 1)[0].strip().lower()
    if (not _MEDIA_TYPE.fullmatch(declared) or declared in INLINE_IMAGE_TYPES
            or len(declared) > max_length(ArticleAttachment, "content_type")):
        return OCTET_STREAM
    return declared


def is_image(attachment: ArticleAttachment) -> bool:
    """Whether the file is an image browsers show (and is served inline)."""
    return attachment.content_type in INLINE_IMAGE_TYPES


def max_file_bytes() -> int:
    return int(getattr(settings, "CASEDESK_UPLOAD_MAX_BYTES", MAX_FILE_BYTES))


def _size(size: int) -> str:
    """A size as people read it: 10 MB, 1.5 MB, 900 KB, 20 bytes."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _storage_name(content_type: str) -> str:
    """A random name for the storage: an image's own extension, `.bin` for anything else, so
    that a web server serving the storage's folder itself can never take an uploaded page
    or script for one of the site's own."""
    return secrets.token_hex(12) + _EXTENSIONS.get(content_type, ".bin")


# --- addresses and snippets --------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentLinks:
    """Where a file is reached, and the Markdown that shows or links it in an article."""

    download_url: str
    file_url: str
    markdown: str


def file_url(attachment: ArticleAttachment, tenant_slug: str) -> str:
    """The file's URL under the tenant's portal (see the module's docstring)."""
    return reverse("kb:public_file", args=[tenant_slug, attachment.pk, attachment.filename])


def markdown_snippet(attachment: ArticleAttachment, url: str) -> str:
    """`![name](url)` for an image (its name without the extension as the alternative text,
    for the editor to improve), `[name](url)` for any other file. Parentheses in the URL are
    percent-encoded so that they cannot end the link early."""
    destination = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    if is_image(attachment):
        alt = os.path.splitext(attachment.filename)[0] or attachment.filename
        return f"![{_markdown_text(alt)}]({destination})"
    return f"[{_markdown_text(attachment.filename)}]({destination})"


def _markdown_text(text: str) -> str:
    """`text` with what Markdown would read as markup escaped by backslashes."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def attachment_links(attachment: ArticleAttachment, tenant_slug: str) -> AttachmentLinks:
    url = file_url(attachment, tenant_slug)
    return AttachmentLinks(
        download_url=reverse("kb:attachment_download", args=[attachment.pk]), file_url=url,
        markdown=markdown_snippet(attachment, url))


# --- reads and fetches -------------------------------------------------------------------------


def article_attachments(article: Article) -> QuerySet[ArticleAttachment]:
    """The article's files, oldest first."""
    return ArticleAttachment.objects.filter(tenant_id=article.tenant_id, article=article)


def get_attachment_for_member(membership: Membership, attachment_id: int) -> ArticleAttachment:
    """The tenant's attachment (of any article: every member reads every article), or
    NotFound."""
    return tenant_row(ArticleAttachment.objects.select_related("article", "article__tenant"),
                      membership.tenant_id, attachment_id, f"No attachment {attachment_id}.")


@dataclass(frozen=True)
class PublicFile:
    attachment: ArticleAttachment
    # Published and public: anyone may read it, and shared caches may keep it.
    is_public: bool


def get_public_file(tenant_slug: str, attachment_id: int, filename: str,
                    user_id: int | None) -> PublicFile:
    """The file behind a file URL: for anyone when its article is published and public, for
    the tenant's active members (`user_id`) whatever the article's state; NotFound for
    everything else — another tenant's file, a name that is not the file's, an unknown id."""
    # An id or name no row can hold (out of range, a NUL) is looked up nowhere.
    attachment = (ArticleAttachment.objects.select_related("article")
                  .filter(tenant__slug=tenant_slug, pk=attachment_id, filename=filename)
                  .first()) if 0 < attachment_id <= MAX_ID and is_storable(filename) else None
    if attachment is None:
        raise NotFound("No such file.")
    article = attachment.article
    if article.status == ArticleStatus.PUBLISHED and article.visibility == Visibility.PUBLIC:
        return PublicFile(attachment, is_public=True)
    if user_id is not None and Membership.objects.filter(
            tenant_id=attachment.tenant_id, user_id=user_id, is_active=True).exists():
        return PublicFile(attachment, is_public=False)
    raise NotFound("No such file.")


def file_response(attachment: ArticleAttachment, *, public: bool) -> FileResponse:
    """The file as mail's attachments are served (inline only for real images, nosniff, a
    sandbox); a public one may be kept by shared caches for PUBLIC_MAX_AGE seconds (a file
    never changes: a new upload is a new attachment), a member's by nobody."""
    response = attachment_response(attachment)
    if public:
        response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


# --- writes ------------------------------------------------------------------------------------


def _refuse_full(article: Article) -> None:
    if article_attachments(article).count() >= MAX_FILES:
        raise Conflict(f"An article holds at most {MAX_FILES} files: delete one before "
                       "adding another.")


def attachment_add(*, article: Article, upload: UploadedFile[bytes], user: User | None,
                   now: datetime) -> ArticleAttachment:
    """Keeps `upload` as a file of `article`: FileTooLarge (413) over the size limit,
    Invalid (naming `file`) for an empty file or a name that cannot be kept, Conflict when
    the article already holds MAX_FILES files. The file is stored first, then the row is
    written in one transaction under the article's lock; when that fails the stored file is
    removed again."""
    filename = clean_filename(upload.name or "")
    size = int(upload.size or 0)
    limit = max_file_bytes()
    if size > limit:
        raise FileTooLarge(f"{filename} is larger than {_size(limit)}, the most a file in an "
                           "article may be.", field="file")
    if size == 0:
        raise Invalid(f"{filename} is empty.", field="file")
    _refuse_full(article)
    upload.seek(0)
    content_type = sniff_content_type(upload.read(_HEAD_BYTES), upload.content_type)
    upload.seek(0)
    attachment = ArticleAttachment(tenant_id=article.tenant_id, article=article,
                                   filename=filename, content_type=content_type, size=size,
                                   uploaded_by=user, created_at=now)
    attachment.file.save(_storage_name(content_type), upload, save=False)
    try:
        with transaction.atomic():
            locked = Article.objects.select_for_update().get(pk=article.pk)
            _refuse_full(locked)
            attachment.save()
    except BaseException:
        # The row was not written: nothing may point at the stored file.
        attachment.file.delete(save=False)
        raise
    return attachment


def _drop_on_commit(attachment: ArticleAttachment) -> None:
    if attachment.file.name:
        transaction.on_commit(partial(attachment.file.storage.delete, attachment.file.name),
                              robust=True)


def attachment_delete(*, attachment: ArticleAttachment) -> None:
    """Deletes the attachment; its file leaves the storage once the deletion has committed.
    An article that still shows it then shows a broken image or link."""
    with transaction.atomic():
        attachment.delete()
        _drop_on_commit(attachment)


def article_files_drop(article: Article) -> None:
    """For the transaction that deletes `article` (`services.article_delete`), before the
    delete: its files leave the storage once that transaction commits. (The rows go with the
    article, by the foreign key's cascade.)"""
    for attachment in article_attachments(article).only("pk", "file"):
        _drop_on_commit(attachment)

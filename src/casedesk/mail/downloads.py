"""The two downloads of mail, served alike by the console and the API: a stored message as it
arrived, and a file it brought (the knowledge base serves its articles' files with the same
code: `StoredFile`).

Both carry content a stranger wrote, so the headers keep a browser from running it: no type
sniffing, a sandbox should it be opened anyway, and only raster images ever shown inline.
"""

import re
from typing import Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse

from casedesk.mail.models import InboundMessage
from casedesk.mail.selectors import inbound_raw

_SANDBOX = "default-src 'none'; sandbox"
# Images a browser may show in the page; anything else (SVG, which can carry script, above
# all) is only ever downloaded.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


class StoredFile(Protocol):
    """A file kept in the storage with the name and type it came with: mail's `Attachment`,
    the knowledge base's `ArticleAttachment`."""

    @property
    def filename(self) -> str: ...

    @property
    def content_type(self) -> str: ...

    @property
    def file(self) -> FieldFile: ...


def raw_response(message: InboundMessage) -> HttpResponse:
    """The stored bytes, unchanged, as an `.eml` download."""
    response = HttpResponse(inbound_raw(message), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_serving(attachment: StoredFile) -> tuple[str, bool]:
    """The Content-Type to serve an attachment with, and whether it may show inline.

    The type came from the sender, so it is only trusted in shape; only the raster image
    types browsers render safely are shown inline, everything else is a download."""
    content_type = attachment.content_type.strip().lower()
    if not _MEDIA_TYPE.match(content_type):
        content_type = "application/octet-stream"
    return content_type, content_type in INLINE_IMAGE_TYPES


def attachment_response(attachment: StoredFile) -> FileResponse:
    """The file under its safe filename (RFC 6266: `filename*` when it is not ASCII), inline
    only for PNG, JPEG, GIF and WebP."""
    content_type, inline = attachment_serving(attachment)
    response = FileResponse(attachment.file.open("rb"), content_type=content_type,
                            as_attachment=not inline, filename=attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response

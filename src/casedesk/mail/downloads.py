"""The two downloads of mail, served alike by the console and the API: a stored message as it
arrived, and a file it brought.

Both carry content a stranger wrote, so the headers keep a browser from running it: no type
sniffing, a sandbox should it be opened anyway, and only raster images ever shown inline.
"""

from django.http import FileResponse, HttpResponse

from casedesk.mail import admin_ops
from casedesk.mail.models import Attachment, InboundMessage

_SANDBOX = "default-src 'none'; sandbox"


def raw_response(message: InboundMessage) -> HttpResponse:
    """The stored bytes, unchanged, as an `.eml` download."""
    response = HttpResponse(admin_ops.inbound_raw(message), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file under its safe filename (RFC 6266: `filename*` when it is not ASCII), inline
    only for PNG, JPEG, GIF and WebP."""
    content_type, inline = admin_ops.attachment_serving(attachment)
    response = FileResponse(attachment.file.open("rb"), content_type=content_type,
                            as_attachment=not inline, filename=attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response

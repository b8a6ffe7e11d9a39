"""The two downloads of mail, served alike by the console and the API: a stored message as it
arrived, and a file it brought (the knowledge base serves its articles' files with the same
code: `StoredFile`, kept in `casedesk.core.files`).

Both carry content a stranger wrote, so the headers keep a browser from running it: no type
sniffing, a sandbox should it be opened anyway, and only raster images ever shown inline.
"""

from django.http import HttpResponse

from casedesk.core.files import INLINE_IMAGE_TYPES, StoredFile, file_response, file_serving
from casedesk.mail.models import InboundMessage
from casedesk.mail.selectors import inbound_raw

__all__ = ["INLINE_IMAGE_TYPES", "StoredFile", "attachment_response", "attachment_serving",
           "raw_response"]

_SANDBOX = "default-src 'none'; sandbox"
# The same decisions for every stored file (`casedesk.core.files`): a case's note
# attachments are served by cases, which cannot import mail.
attachment_serving = file_serving
attachment_response = file_response


def raw_response(message: InboundMessage) -> HttpResponse:
    """The stored bytes, unchanged, as an `.eml` download."""
    response = HttpResponse(inbound_raw(message), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response


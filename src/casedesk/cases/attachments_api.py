"""The files agents attach to a case's notes and replies
(`/cases/{number}/note-attachments/{attachment_id}`): download, and removing a pending upload.

Uploading (`POST /cases/{number}/attachments`) and the list of all of a case's files (mail's
and the notes', `GET /cases/{number}/attachments`) share their path with mail's files, so
they live on mail's router (`mail/api.py`); the limits and what is trusted of a file are
`cases.attachments`'. Any member who can open the case reads the files its notes carry; a
pending upload is its uploader's alone; another tenant's case or file is a 404.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Router

from casedesk.cases.access import get_case_for_member
from casedesk.cases.attachments import get_note_file_for_member, pending_upload_delete
from casedesk.core.files import file_response
from casedesk.core.schemas import MAX_ID, Error
from casedesk.tenancy.api_auth import member

router = Router(tags=["cases"])
AttachmentId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
_DOWNLOAD = {"responses": {200: {
    "description": ("The file. PNG, JPEG, GIF and WebP images are served inline, everything "
                    "else (HTML and SVG included) as a download; always with "
                    "`X-Content-Type-Options: nosniff` and a sandboxing "
                    "`Content-Security-Policy`."),
    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/cases/{number}/note-attachments/{attachment_id}", response=ERRORS,
            summary="Download a note's file", url_name="download_note_attachment",
            openapi_extra=_DOWNLOAD)
def download_note_attachment(request: HttpRequest, number: str,
                             attachment_id: AttachmentId) -> Any:
    membership = member(request)
    case = get_case_for_member(membership, number)
    return file_response(get_note_file_for_member(membership, case, attachment_id))


@router.delete("/cases/{number}/note-attachments/{attachment_id}",
               response={204: None, **ERRORS}, summary="Remove a pending upload")
def delete_pending_upload(request: HttpRequest, number: str,
                          attachment_id: AttachmentId) -> Any:
    """Your own upload that no note carries yet; a file a note carries stays (409)."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    pending_upload_delete(attachment=get_note_file_for_member(membership, case, attachment_id))
    return 204, None

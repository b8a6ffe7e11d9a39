"""The download of a file an agent attached to a note or reply, for the case page (the API's
is `cases/attachments_api.py`): the same fetch and the same safe response."""

from django.http import FileResponse
from django.views.decorators.http import require_GET

from casedesk.cases.access import get_case_for_member
from casedesk.cases.attachments import get_note_file_for_member
from casedesk.core.files import file_response
from casedesk.tenancy.web import PageRequest, member, member_required


# member_required is typed for HttpResponse; a FileResponse (streamed, not read into memory)
# is an HttpResponseBase, which it passes through all the same.
@member_required  # type: ignore[arg-type]
@require_GET
def note_attachment(request: PageRequest, number: str, attachment_id: int) -> FileResponse:
    """A file a note of the case carries (or the member's own pending upload): inline only
    for raster images, everything else as a download; another tenant's is a 404."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    return file_response(get_note_file_for_member(membership, case, attachment_id))

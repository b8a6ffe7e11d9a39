"""Saved views of the case list: a member's named filters and sort order (their one writer)."""

from django.db import IntegrityError, transaction

from casedesk.console.models import SavedView
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.redirects import list_query
from casedesk.core.text import check_text
from casedesk.tenancy.models import Membership

MAX_NAME = 80  # SavedView.name
MAX_QUERY = 2000  # SavedView.query


def saved_view_save(*, membership: Membership, name: str, query: str) -> SavedView:
    """Saves the list's query string under `name` for this member (replacing a view of the
    same name). The name is refused when blank, too long or not storable text; the query is
    kept only as a query string (re-encoded, so it can never be anything else)."""
    name = check_text((name or "").strip(), field="name", label="The view's name")
    if not name:
        raise Invalid("Give the view a name.", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(f"A view's name has at most {MAX_NAME} characters.", field="name")
    clean = list_query(query)
    if len(clean) > MAX_QUERY:
        raise Invalid("These filters are too long to save as a view.", field="query")
    try:
        with transaction.atomic():
            view, _ = SavedView.objects.update_or_create(
                tenant_id=membership.tenant_id, user_id=membership.user_id, name=name,
                defaults={"query": clean})
    except IntegrityError:  # saved under the same name at the same moment
        raise Conflict("That view could not be saved; try again.") from None
    return view

"""The case page's panels rendered with the page itself.

Each panel belongs to its app (tasks, calls, knowledge base, macros, triage, similar cases,
links, merge) and is also a fragment of its own, which the page asks for again when the case
changes (`casedesk:case-changed`). Rendering their first content here saves the browser one
request per panel, each paying the signed-in request's floor (session, user, membership)
and the case's lookup again, on every opening of a case.
"""

from django.utils.safestring import SafeString

from casedesk.assist.similar_views import similar_panel_html
from casedesk.assist.triage_views import triage_panel_html
from casedesk.automation.views.macros import case_macros_html
from casedesk.calls.views import calls_panel_html
from casedesk.cases.models import Case
from casedesk.cases.views.links import links_panel_html
from casedesk.console.views.merge import merge_panel_html
from casedesk.kb.views.case_panel import case_panel_html as kb_panel_html
from casedesk.tasks.views import case_panel_html as tasks_panel_html
from casedesk.tenancy.web import PageRequest


def case_panels(request: PageRequest, case: Case) -> dict[str, SafeString]:
    """Each panel's first content, by the name the case page's template uses."""
    return {
        "merge": merge_panel_html(request, case),
        "tasks": tasks_panel_html(request, case),
        "calls": calls_panel_html(request, case),
        "kb": kb_panel_html(request, case),
        "macros": case_macros_html(request, case),
        "triage": triage_panel_html(request, case),
        "similar": similar_panel_html(request, case),
        "links": links_panel_html(request, case),
    }

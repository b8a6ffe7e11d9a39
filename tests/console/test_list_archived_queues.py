"""The case list's (and board's) queue filter keeps archived queues, marked and after the active
ones, so the cases still in them can be found."""

import re

from casedesk.routing.models import Queue
from casedesk.routing.queues import queue_archive, queue_create
from tests.conftest import login
from tests.factories import make_case


def queue_options(page: str) -> list[tuple[str, str]]:
    """The (value, label) of each option of the filter's queue select, in order."""
    select = page.split('name="queue"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_archived_queues_come_last_marked_and_still_find_their_cases(tenant, other_tenant,
                                                                     agent) -> None:
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    kept = make_case(tenant, subject="Refund still being worked", queue_id=finance.pk,
                     owner_id=agent.user_id)
    queue_archive(queue=finance)
    zebra = queue_create(tenant=tenant, name="Zebra desk")
    queue_archive(queue=queue_create(tenant=tenant, name="Archive old"))
    theirs = Queue.objects.get(tenant=other_tenant, name="Support")
    client = login(agent)

    for path in ("/cases", "/cases/board"):
        labels = [label for _, label in queue_options(client.get(path).content.decode())]
        assert labels == ["Any queue", "No queue", "Engineering", "Support", "Zebra desk",
                          "Archive old (archived)", "Finance (archived)"], path
    values = [value for value, _ in queue_options(client.get("/cases").content.decode())]
    assert str(zebra.pk) in values and str(theirs.pk) not in values

    page = client.get(f"/cases?queue={finance.pk}").content.decode()
    assert kept.subject in page
    options = dict(queue_options(page))
    assert options[str(finance.pk)] == "Finance (archived)"
    assert re.search(rf'<option value="{finance.pk}" selected>', page)

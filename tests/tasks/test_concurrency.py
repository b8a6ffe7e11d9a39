"""Two overdue runs racing on PostgreSQL: every late task's owner is told once."""

from datetime import timedelta

import pytest
from django.db import connection

from casedesk.notifications.models import Notification, NotificationKind
from casedesk.ops.provisioning import tenant_create
from casedesk.tasks.models import Task
from casedesk.tasks.services import task_create, tasks_notify_overdue
from casedesk.tenancy.models import Role
from casedesk.tenancy.services import membership_add, user_get_or_create
from tests.cases.test_concurrency import _race
from tests.conftest import NOW, postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_racing_runs_tell_each_owner_once() -> None:
    assert connection.vendor == "postgresql"
    tenant = tenant_create(slug="taskrace", name="Task race", admin_email="a@task.test")
    owner = membership_add(tenant=tenant, user=user_get_or_create(email="own@task.test"),
                           role=Role.AGENT)
    tasks = [task_create(tenant=tenant, actor=owner.user, subject=f"Task {i}", now=NOW,
                         due_at=NOW + timedelta(minutes=i)) for i in range(80)]
    # The same moment for every run: only the row locks tell them apart.
    later = NOW + timedelta(hours=3)
    told = _race(lambda i: tasks_notify_overdue(later))
    assert not [r for r in told if isinstance(r, BaseException)], told
    assert sum(r for r in told if isinstance(r, int)) == len(tasks)
    assert Notification.objects.filter(tenant=tenant,
                                       kind=NotificationKind.TASK_OVERDUE).count() == len(tasks)
    assert not Task.objects.filter(tenant=tenant, overdue_notified_at__isnull=True).exists()

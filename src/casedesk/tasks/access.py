"""The only way the tasks API and pages fetch a task: scoped to the member's tenant and to
what the member may see (`selectors.visible_tasks`); who may change it is decided here."""

from casedesk.core.access import tenant_row
from casedesk.core.errors import PermissionDenied
from casedesk.tasks.models import Task
from casedesk.tasks.selectors import RELATED, visible_tasks
from casedesk.tenancy.models import Membership


def may_change(membership: Membership, task: Task) -> bool:
    """Managers and admins change any task of the tenant; others those they own or made."""
    user_id = membership.user_id
    return membership.is_manager or user_id in (task.owner_id, task.created_by_id)


def get_task_for_member(membership: Membership, task_id: int, *, write: bool = False) -> Task:
    """The task, NotFound when the member may not see it (another tenant's included);
    with `write`, PermissionDenied when they may see it but not change it."""
    task = tenant_row(visible_tasks(membership).select_related(*RELATED),
                      membership.tenant_id, task_id, f"No task with id {task_id}.")
    if write and not may_change(membership, task):
        raise PermissionDenied("Only the task's owner, the member who made it, or a manager "
                               "may change it.")
    return task

"""A new tenant, ready to work: the tenant and its first admin (`tenancy`), then each app's
defaults — picklists and case numbers (`cases`), queues with the admin in each (`routing`),
SLA policies and calendar (`sla`), the default automation rules (`automation`) — in one
transaction."""

from django.db import transaction

from casedesk.automation.defaults import rules_seed_defaults
from casedesk.cases.numbering import case_numbers_prepare
from casedesk.cases.picklists import picklists_seed_defaults
from casedesk.core import clock
from casedesk.routing.queues import queues_seed_defaults
from casedesk.sla.policies import sla_seed_defaults
from casedesk.tenancy.models import Tenant
from casedesk.tenancy.services import tenant_add


@transaction.atomic
def tenant_create(*, slug: str, name: str, admin_email: str, admin_password: str | None = None,
                  admin_name: str = "") -> Tenant:
    """A new tenant with its defaults and a first admin, who belongs to every default queue
    (a desk whose only person is in no queue would let arriving cases wait unseen)."""
    admin = tenant_add(slug=slug, name=name, admin_email=admin_email,
                       admin_password=admin_password, admin_name=admin_name)
    tenant = admin.tenant
    picklists_seed_defaults(tenant)
    queues_seed_defaults(tenant, members=[admin])
    sla_seed_defaults(tenant, clock.now())
    case_numbers_prepare(tenant)
    rules_seed_defaults(tenant, clock.now())
    return tenant

"""Background work of assist (django.tasks, run by `casedesk worker`)."""

from django.tasks import task

from casedesk.assist.training import train
from casedesk.core import clock
from casedesk.tenancy.models import Tenant


@task(queue_name="default")
def train_tenant(tenant_id: int, trigger: str = "web") -> str:
    """Trains the tenant's triage model now (asked for from the web or the API). Safe to run
    twice: each run is a new version, and the newest usable one predicts."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return "no such tenant"
    model = train(tenant, now=clock.now(), trigger=trigger)
    return f"v{model.version} {'usable' if model.usable else 'not usable'}"

"""`casedesk train --tenant SLUG` (or `--all`): trains the triage model now and says how it
measured up."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.assist.models import TriageModel
from casedesk.assist.training import train
from casedesk.core import clock
from casedesk.tenancy.models import Tenant


def model_summary(tenant: Tenant, model: TriageModel) -> list[str]:
    """The lines the command prints for one run."""
    state = "usable" if model.usable else f"not usable: {model.reason}"
    lines = [
        f"{tenant.slug}: triage model v{model.version} ({state}); trained on "
        f"{model.trained_on} cases, measured on {model.held_out} held-out cases, "
        f"in {model.duration_ms / 1000:.1f} s"
    ]
    if model.usable:
        # The measured model is not the one kept: that one learns from the held-out cases too.
        lines[0] += f"; the model in use learned from all {model.trained_on + model.held_out}"
    for target, score in model.scores.items():
        verdict = "usable" if score.get("usable") else f"not used ({score.get('reason', '')})"
        lines.append(
            f"  {target:<12} accuracy {score.get('accuracy', 0.0):6.1%}  "
            f"baseline {score.get('baseline', 0.0):6.1%}  "
            f"{score.get('classes', 0)} values  {verdict}"
        )
    return lines


class Command(BaseCommand):
    help = (
        "Trains the triage model (category, subcategory, type, priority and queue "
        "suggestions) from the tenant's resolved cases, now; prints its held-out accuracy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--tenant", metavar="SLUG", help="The tenant to train.")
        which.add_argument("--all", action="store_true", help="Every tenant, one by one.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            tenants = list(Tenant.objects.order_by("slug"))
        else:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"No tenant with the slug {options['tenant']!r}.")
            tenants = [tenant]
        for tenant in tenants:
            model = train(tenant, now=clock.now(), trigger="command")
            self.stdout.write("\n".join(model_summary(tenant, model)))

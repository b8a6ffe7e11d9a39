"""The tenants made before automation get its default rules, so their acknowledgements go on
as before (mail acknowledges a new case only when a rule says so)."""

from django.db import migrations
from django.utils import timezone

from casedesk.automation.defaults import DEFAULT_RULES


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    tenant_model = apps.get_model("tenancy", "Tenant")
    rule_model = apps.get_model("automation", "AutomationRule")
    now = timezone.now()
    for tenant in tenant_model.objects.all():
        have = set(rule_model.objects.filter(tenant=tenant).exclude(default_key="")
                   .values_list("default_key", flat=True))
        for position, spec in enumerate(DEFAULT_RULES):
            if spec["default_key"] in have:
                continue
            rule_model.objects.create(
                tenant=tenant, position=position, created_at=now, updated_at=now,
                enabled_at=now if spec["is_enabled"] else None,
                swept_until=now if spec["trigger"] == "time" and spec["is_enabled"] else None,
                **spec)


class Migration(migrations.Migration):

    dependencies = [
        ("automation", "0001_initial"),
        ("tenancy", "0011_tenant_automation_version"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""Existing cases get their facts from the worker's first refresh: every case is marked
stale here, set-based (one INSERT ... SELECT, seconds at a million cases)."""

from django.db import migrations


def mark_all(apps, schema_editor):
    case = apps.get_model("cases", "Case")._meta.db_table
    stale = apps.get_model("reports", "FactStale")._meta.db_table
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"INSERT INTO {quote(stale)} (case_id, tenant_id) "
        f"SELECT id, tenant_id FROM {quote(case)}")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("cases", "0013_status_changed_at_automation_events")]

    operations = [migrations.RunPython(mark_all, migrations.RunPython.noop)]

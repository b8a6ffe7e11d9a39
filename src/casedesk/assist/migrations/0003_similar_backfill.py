"""Cases written before the similar-case index existed are marked for the worker, newest
first like every mark, so an upgraded installation's index fills itself (at the job's pace;
`casedesk similar_index --tenant SLUG` builds it in one go)."""

from typing import Any

from django.db import migrations
from django.utils import timezone


def _mark_existing(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO assist_similardirty (case_id, tenant_id, marked_at) "
            "SELECT c.id, c.tenant_id, %s FROM cases_case c "
            "WHERE c.merged_into_id IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM assist_similarsignature s WHERE s.case_id = c.id) "
            "AND NOT EXISTS (SELECT 1 FROM assist_similardirty d WHERE d.case_id = c.id)",
            [timezone.now()])


class Migration(migrations.Migration):
    dependencies = [("assist", "0002_similar"), ("cases", "0016_case_merge")]

    operations = [migrations.RunPython(_mark_existing, migrations.RunPython.noop)]

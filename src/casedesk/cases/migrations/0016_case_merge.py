import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_merge_and_note_attachments'),
        ('tenancy', '0013_audit_attachments_retention'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='timelineevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('field_changed', 'Field Changed'), ('status_changed', 'Status Changed'), ('note_added', 'Note Added'), ('reply_added', 'Reply Added'), ('claimed', 'Claimed'), ('owner_changed', 'Owner Changed'), ('assignment_opened', 'Assignment Opened'), ('assignment_closed', 'Assignment Closed'), ('follow_up_created', 'Follow Up Created'), ('routed', 'Routed'), ('sla_breached', 'Sla Breached'), ('escalated', 'Escalated'), ('customer_replied', 'Customer Replied'), ('csat_answered', 'Csat Answered'), ('sla_warned', 'Sla Warned'), ('automation', 'Automation'), ('link_added', 'Link Added'), ('link_removed', 'Link Removed'), ('merged_into', 'Merged Into'), ('merged_from', 'Merged From'), ('merge_undone', 'Merge Undone')], max_length=30),
        ),
        migrations.CreateModel(
            name='CaseMerge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('batch', models.UUIDField()),
                ('merged_at', models.DateTimeField()),
                ('moved', models.JSONField(default=dict)),
                ('source_state', models.JSONField(default=dict)),
                ('last_event_id', models.BigIntegerField(default=0)),
                ('undone_at', models.DateTimeField(blank=True, null=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='merges_out', to='cases.case')),
                ('target', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='merges_in', to='cases.case')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant')),
                ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['target', '-merged_at'], name='casemerge_target'), models.Index(fields=['source', '-merged_at'], name='casemerge_source'), models.Index(fields=['batch'], name='casemerge_batch')],
            },
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0008_automation_mail_kind'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboundmail',
            name='kind',
            field=models.CharField(choices=[('reply', 'Public reply'), ('ack', 'Acknowledgement'), ('account', 'Invitation or password reset'), ('survey', 'Satisfaction survey'), ('automation', 'Automated mail'), ('report', 'Report')], max_length=12),
        ),
    ]

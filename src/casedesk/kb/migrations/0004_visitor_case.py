from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("kb", "0003_attachments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="kbevent",
            name="kind",
            field=models.CharField(choices=[
                ("view", "Article viewed"), ("suggestion_shown", "Suggested on a case"),
                ("suggestion_opened", "Suggestion opened from a case"),
                ("case_resolved_by_article", "Marked as solving a case"),
                ("self_service_deflection", "Read, and no case followed"),
                ("search", "Searched"),
                ("visitor_case", "A reader without an account submitted a case"),
            ], max_length=30),
        ),
    ]

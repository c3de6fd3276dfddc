from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0023_preferences_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="progresssnapshot",
            name="detail",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
    ]

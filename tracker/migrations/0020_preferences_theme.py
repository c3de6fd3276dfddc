from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0019_capstone_check_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="userpreferences",
            name="theme",
            field=models.CharField(
                choices=[("auto", "As my device"), ("light", "Light"), ("dark", "Dark")],
                default="auto",
                max_length=8,
            ),
        ),
    ]

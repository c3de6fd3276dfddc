from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0022_mentor_operations"),
    ]

    operations = [
        migrations.AddField(
            model_name="userpreferences",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("es", "Español")],
                default="",
                max_length=8,
                verbose_name="language",
            ),
        ),
        migrations.AlterModelOptions(
            name="userpreferences",
            options={
                "verbose_name": "user preferences",
                "verbose_name_plural": "user preferences",
            },
        ),
    ]

"""Hashed, named, expiring API tokens (issue 14), and DRF's old plain tokens moved into them.

Each row of ``authtoken_token`` (if that table exists: ``rest_framework.authtoken`` is no longer
installed) becomes an ``ApiToken`` holding the SHA-256 digest of the old value, named "Token
from before 2026-12", expiring ``STRIDE_TOKEN_TTL_DAYS`` after this migration runs; the plain
row is then deleted. Clients keep the value they hold until it expires. Going back deletes the
new rows and cannot bring the plain values back (docs/OPERATIONS.md "API tokens").
"""

import datetime as dt
import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


LEGACY_TABLE = "authtoken_token"


def move_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    from django.utils import timezone

    ApiToken = apps.get_model("tracker", "ApiToken")
    now = timezone.now()
    expires_at = now + dt.timedelta(days=settings.STRIDE_TOKEN_TTL_DAYS)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('key')}, {quote('user_id')}, {quote('created')} FROM {LEGACY_TABLE}"
        )
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        created = created or now
        if isinstance(created, str):  # SQLite without converters
            created = dt.datetime.fromisoformat(created)
        if timezone.is_naive(created):
            created = timezone.make_aware(created, dt.timezone.utc)
        ApiToken.objects.create(
            user_id=user_id,
            name="Token from before 2026-12",
            prefix=key[:8],
            digest=hashlib.sha256(key.encode("utf-8")).hexdigest(),
            created_at=min(created, now),
            expires_at=expires_at,
        )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LEGACY_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0020_preferences_theme"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("prefix", models.CharField(max_length=16)),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["user", "-created_at"], name="apitoken_user_created")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("expires_at__gt", models.F("created_at"))),
                        name="apitoken_expires_after_created",
                    )
                ],
            },
        ),
        migrations.RunPython(move_plain_tokens, migrations.RunPython.noop, elidable=True),
    ]

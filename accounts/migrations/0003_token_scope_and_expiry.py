"""API tokens get a scope (full, read, open311) and always expire.

Tokens issued before had no scope (they could do everything) and most never expired: they keep
full access and expire ``API_TOKEN_DAYS`` after this migration, so no client stops at once."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def expire_tokens_without_an_end(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ends = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=ends)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_role_unit_staff"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(choices=[("full", "full access"), ("read", "read only"), ("open311", "Open311 feedback only")],
                                   default="full", max_length=16, verbose_name="scope"),
        ),
        migrations.RunPython(expire_tokens_without_an_end, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires at"),
        ),
    ]

"""Feedback is public only by the resident's choice (个人信息保护法 第二十五条: personal information is made public
only with the person's separate consent). Requests sent before there was a choice — Open311 offered none, the
phone form's box came ticked — are taken off the public list; their senders can choose on the request's page."""

from django.conf import settings
from django.db import migrations, models


def unpublish_without_choice(apps, schema_editor):
    apps.get_model("neighbourhood", "FeedbackRequest").objects.filter(public=True).update(public=False)


class Migration(migrations.Migration):

    dependencies = [
        ('neighbourhood', '0005_residents_ratings'),
        ('org', '0002_organisation_kind_unit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='feedbackrequest',
            name='public_chosen_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='the resident chose to show it publicly at'),
        ),
        migrations.AlterField(
            model_name='feedbackrequest',
            name='public',
            field=models.BooleanField(default=False, verbose_name='shown publicly (without name or phone)'),
        ),
        migrations.RunPython(unpublish_without_choice, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='feedbackrequest',
            constraint=models.CheckConstraint(condition=models.Q(('public', False), ('public_chosen_at__isnull', False), _connector='OR'), name='feedback_public_only_by_choice'),
        ),
    ]

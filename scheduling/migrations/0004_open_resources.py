# Units' open resources (驻区单位开放资源): a unit's car park, sports ground or meeting room opened to residents.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0002_organisation_kind_unit'),
        ('registry', '0003_online_services_and_rating_history'),
        ('scheduling', '0003_booking_start_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OpenResource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category', models.CharField(choices=[('parking', 'parking'), ('sports', 'sports ground'), ('meeting', 'meeting room'), ('other', 'other')], max_length=12, verbose_name='category')),
                ('rules', models.TextField(blank=True, help_text='Who may book, what to bring, what is not allowed.', verbose_name='rules of use')),
                ('opened_on', models.DateField(verbose_name='open since')),
                ('withdrawn_on', models.DateField(blank=True, null=True, verbose_name='withdrawn on')),
                ('withdrawn_reason', models.CharField(blank=True, max_length=200, verbose_name='why withdrawn')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('room', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='open_resource', to='registry.room', verbose_name='room')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='open_resources', to='org.organisation', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'open resource of a unit',
                'verbose_name_plural': 'open resources of units',
                'ordering': ['room__site__division__path', 'category', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('withdrawn_on__isnull', True), ('withdrawn_on__gte', models.F('opened_on')), _connector='OR'), name='open_resource_withdrawn_after_opening')],
            },
        ),
    ]

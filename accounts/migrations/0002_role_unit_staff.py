# The staff of a unit in the area (驻区单位), who register its open resources and decide their requests.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='roleassignment',
            name='role',
            field=models.CharField(choices=[('supervisor', 'civil-affairs supervisor'), ('street_admin', 'street administrator'), ('community_worker', 'community worker'), ('operator_staff', 'operator staff'), ('charity_staff', 'charity staff'), ('fund_committee', 'fund committee member'), ('resident', 'resident'), ('unit_staff', 'staff of a unit in the area')], max_length=20, verbose_name='role'),
        ),
    ]

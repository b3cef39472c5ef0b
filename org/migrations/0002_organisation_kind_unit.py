# Units in the area (驻区单位) that open their resources to residents.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organisation',
            name='kind',
            field=models.CharField(choices=[('operator', 'operator'), ('charity', 'charity'), ('department', 'government department'), ('unit', 'unit in the area')], max_length=16, verbose_name='kind'),
        ),
    ]

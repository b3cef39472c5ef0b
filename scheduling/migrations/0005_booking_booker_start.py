"""One person's bookings in time order (``selectors.my_bookings``). Without it PostgreSQL walks the
whole booking_start index filtering out everyone else's bookings (40 ms on the demo city, growing
with the table). On PostgreSQL the index is built CONCURRENTLY, so bookings go on while it builds."""

from django.db import migrations, models

INDEX = models.Index(fields=["booker", "starts_at"], name="booking_booker_start")


def create(apps, schema_editor):
    booking = apps.get_model("scheduling", "Booking")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('CREATE INDEX CONCURRENTLY IF NOT EXISTS "booking_booker_start" '
                              'ON "scheduling_booking" ("booker_id", "starts_at")')
    else:
        schema_editor.add_index(booking, INDEX)


def drop(apps, schema_editor):
    booking = apps.get_model("scheduling", "Booking")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX CONCURRENTLY IF EXISTS "booking_booker_start"')
    else:
        schema_editor.remove_index(booking, INDEX)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("scheduling", "0004_open_resources"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="booking", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]

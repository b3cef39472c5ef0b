"""On PostgreSQL the database itself refuses two active bookings of a room at overlapping times.

The exclusion constraint (room equal, [starts_at, blocked_until) overlapping, for bookings that
hold their room) needs the btree_gist extension. SQLite has no such constraint; there the
booking service checks and inserts inside one transaction, which SQLite runs one at a time.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_booking ADD CONSTRAINT booking_room_never_double_booked
    EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&)
    WHERE (status IN ('pending', 'offered', 'confirmed', 'checked_in'));
"""
DROP = "ALTER TABLE scheduling_booking DROP CONSTRAINT IF EXISTS booking_room_never_double_booked;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

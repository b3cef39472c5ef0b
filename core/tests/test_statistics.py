import pytest
from django.db import connection

from core.statistics import statistics_refresh
from org.models import Division


@pytest.mark.django_db
def test_the_planner_has_statistics_after_a_refresh(world):
    statistics_refresh()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = %s", [Division._meta.db_table])
            assert cursor.fetchone()[0] > 0

"""Faults a test sets up in the real database, where a mock would only pretend: a table that
refuses every new row, as a full disk or a broken database would."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def table_refuses_inserts(model):
    """Every INSERT into ``model``'s table fails (a trigger raises) until the block ends."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE OR REPLACE FUNCTION linli_refuse_insert() RETURNS trigger AS $$ "
                           "BEGIN RAISE EXCEPTION 'this table refuses new rows'; END $$ LANGUAGE plpgsql")
            cursor.execute(f"CREATE TRIGGER linli_refuse_insert BEFORE INSERT ON {table} FOR EACH ROW "
                           "EXECUTE FUNCTION linli_refuse_insert()")
        else:
            cursor.execute(f"CREATE TRIGGER linli_refuse_insert BEFORE INSERT ON {table} "
                           "BEGIN SELECT RAISE(ABORT, 'this table refuses new rows'); END")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER linli_refuse_insert ON {table}" if connection.vendor == "postgresql"
                           else "DROP TRIGGER linli_refuse_insert")

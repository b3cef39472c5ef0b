"""On PostgreSQL a register filing, once made, refuses UPDATE and DELETE at the database itself."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION registry_filing_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'register filings are immutable (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER registry_filing_immutable BEFORE UPDATE OR DELETE ON registry_registryfiling
FOR EACH ROW EXECUTE FUNCTION registry_filing_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS registry_filing_immutable ON registry_registryfiling;
DROP FUNCTION IF EXISTS registry_filing_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

"""A register's export imported again as it is changes nothing: the check every importable register's tests run."""

from io import BytesIO

from audit.models import AuditEvent
from excel.registers import REGISTERS, export_sheets, import_workbook
from excel.workbooks import write_workbook


def assert_reimport_changes_nothing(register_name: str, actor, models) -> dict:
    """Export ``register_name`` as ``actor`` sees it, import the file again: every row is unchanged, no
    row of ``models`` differs (values and ``updated_at``), and no audit event is written."""
    reg = REGISTERS[register_name]
    total, sheets = export_sheets(reg, user=actor, params={})
    buffer = BytesIO()
    write_workbook(buffer, sheets, user=actor)
    before = {model: list(model.objects.order_by("pk").values()) for model in models}
    events = AuditEvent.objects.count()
    summary = import_workbook(BytesIO(buffer.getvalue()), reg, actor=actor, params={}, progress=lambda n: None)
    assert total > 0, register_name
    assert (summary["rows"], summary["unchanged"], summary["created"], summary["updated"]) == (total, total, 0, 0), summary
    assert AuditEvent.objects.count() == events
    for model, rows in before.items():
        assert list(model.objects.order_by("pk").values()) == rows, model
    return summary

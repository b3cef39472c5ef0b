"""Excel registers (台账): one description per register, used for export, template and import.

A module describes a register once — its columns, how to read its rows for a user, and how
to import rows — and calls ``register(...)``. The export, the blank template with Chinese
column names, and the all-or-nothing import (every bad row reported with its row number,
nothing written if any row is bad) then work for it without more code, through the task
worker and the ``ExcelJob`` record that shows progress.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.errors import ApplicationError, ValidationFailed

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"


class RowProblem(Exception):
    """A cell value that cannot be read; ``message`` says why."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass
class Column:
    key: str
    header: Any  # a lazy translation: Chinese in a Chinese workbook
    parse: Callable[[Any], Any] = lambda value: value
    required: bool = False
    width: int = 16
    note: Any = ""


@dataclass
class Register:
    name: str
    title: Any
    permission: str
    columns: list[Column]
    # (user, params) -> (row count, iterator of lists in column order)
    export_rows: Callable[..., tuple[int, Iterable[list]]]
    # (actor, rows, params, progress) -> summary dict; raises ImportRejected
    import_rows: Callable[..., dict] | None = None
    sheet: Any = ""
    # (user, params) -> None; refuses parameters aimed outside the user's scope before a job is queued
    check_params: Callable[..., None] | None = None
    # A workbook register is several registers, one sheet each, imported together (all or nothing).
    parts: tuple[str, ...] = ()

    @property
    def can_import(self) -> bool:
        if self.parts:
            return all(REGISTERS[name].import_rows is not None for name in self.parts)
        return self.import_rows is not None

    @property
    def sheets(self) -> list["Register"]:
        return [REGISTERS[name] for name in self.parts] if self.parts else [self]

    @property
    def sheet_title(self) -> str:
        return str(self.sheet or self.title)[:31]


@dataclass
class ImportRejected(Exception):
    """Some rows are bad: nothing was written. ``errors`` holds every bad row."""

    errors: list[dict] = field(default_factory=list)


REGISTERS: dict[str, Register] = {}

# While a workbook of several sheets is imported, each sheet's bad rows are collected here
# instead of ending the import, so that later sheets can refer to the good rows of earlier
# ones; the workbook import then refuses the whole file once, with every sheet's errors.
_DEFERRED: ContextVar[list | None] = ContextVar("excel_deferred_rejections", default=None)


def reject(errors: list[dict]) -> None:
    """Refuse these bad rows: at once, or at the end of the workbook being imported."""
    if not errors:
        return
    deferred = _DEFERRED.get()
    if deferred is None:
        raise ImportRejected(errors)
    deferred.extend(errors)


def register(reg: Register) -> Register:
    REGISTERS[reg.name] = reg
    return reg


def get_register(name: str) -> Register:
    try:
        return REGISTERS[name]
    except KeyError:
        raise ValidationFailed(fields={"register": [_("Unknown register: %(name)s") % {"name": name}]}) from None


def row_error(row: int, column: str | None, message) -> dict:
    return {"row": row, "column": column or "", "message": str(message)}


MAX_ERRORS_LISTED = 1000


# Cell parsers shared by every register.

def parse_text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_code(value) -> str:
    """Codes typed as numbers come back as ints or floats; read them back as digit strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_int(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise RowProblem(_("Enter a whole number.")) from None
    if number != number.to_integral_value():
        raise RowProblem(_("Enter a whole number."))
    return int(number)


def parse_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise RowProblem(_("Enter a number.")) from None


def parse_date(value) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise RowProblem(_("Enter a date such as 2026-05-01.")) from None


def yes_no(flag) -> str:
    """How a register writes a yes/no cell: 是 or 否, which ``parse_bool`` reads back."""
    return "是" if flag else "否"


def parse_bool(value) -> bool | None:
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    if text in {"是", "有", "yes", "y", "true", "1"}:
        return True
    if text in {"否", "无", "no", "n", "false", "0"}:
        return False
    raise RowProblem(_("Enter 是 or 否 (yes or no)."))


def parse_choice(choices) -> Callable[[Any], str]:
    """Accept a choice's value or its label in either language."""

    def parse(value) -> str:
        text = parse_text(value)
        if not text:
            return ""
        for choice_value, label in choices.choices:
            names = {choice_value}
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    names.add(str(label))
            if text in names:
                return choice_value
        with translation.override("zh-hans"):
            labels = "、".join(str(label) for _v, label in choices.choices)
        raise RowProblem(_("Not one of: %(labels)s") % {"labels": labels})

    return parse


def choice_label(choices, value: str) -> str:
    return str(choices(value).label) if value else ""


# Writing.

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="B22222")


def _write_sheet(workbook: Workbook, reg: Register, rows: Iterable[list], progress, done: int) -> int:
    sheet = workbook.create_sheet(title=reg.sheet_title)
    for index, column in enumerate(reg.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in reg.columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        done += 1
        if progress and done % 500 == 0:
            progress(done)
    return done


def write_workbook(stream: BinaryIO, sheets: list[tuple[Register, Iterable[list]]],
                   progress: Callable[[int], None] | None = None) -> int:
    """Stream each register's rows into its own sheet with a styled header; returns the number of rows."""
    workbook = Workbook(write_only=True)
    done = 0
    for reg, rows in sheets:
        done = _write_sheet(workbook, reg, rows, progress, done)
    workbook.save(stream)
    return done


def export_sheets(reg: Register, *, user, params: dict) -> tuple[int, list[tuple[Register, Iterable[list]]]]:
    """The rows of every sheet of ``reg`` as ``user`` can see them, and how many there are in all."""
    total, sheets = 0, []
    for part in reg.sheets:
        count, rows = part.export_rows(user=user, params=params)
        total += count
        sheets.append((part, rows))
    return total, sheets


def write_template(stream: BinaryIO, reg: Register) -> None:
    """A blank workbook with each sheet's headers, and a last sheet explaining every column."""
    write_workbook(stream, [(part, []) for part in reg.sheets])
    stream.seek(0)
    workbook = load_workbook(stream)
    notes = workbook.create_sheet(title=str(_("How to fill in")))
    notes.append([str(_("Sheet")), str(_("Column")), str(_("Required")), str(_("What to enter"))])
    for part in reg.sheets:
        for column in part.columns:
            notes.append([part.sheet_title, str(column.header), str(_("yes")) if column.required else "", str(column.note)])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 20
    notes.column_dimensions["D"].width = 80
    stream.seek(0)
    stream.truncate()
    workbook.save(stream)


# Reading.

def check_upload(name: str, size: int, head: bytes) -> None:
    """Refuse what is not an .xlsx workbook of a sensible size, before anything is stored."""
    if size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(fields={"file": [_("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}]})
    if not name.lower().endswith(".xlsx") or not head.startswith(XLSX_MAGIC):
        raise ValidationFailed(fields={"file": [_("Upload an Excel workbook (.xlsx).")]})


def header_lookup(reg: Register) -> dict[str, Column]:
    names: dict[str, Column] = {}
    for column in reg.columns:
        names[column.key] = column
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names[str(column.header).strip()] = column
    return names


def open_workbook(stream: BinaryIO):
    """Open a workbook read-only (memory stays flat however long its sheets are)."""
    try:
        return load_workbook(stream, read_only=True, data_only=True)
    except Exception:
        raise ImportRejected([row_error(0, None, _("The file could not be opened as an Excel workbook."))]) from None


def find_sheet(workbook, reg: Register, position: int):
    """The sheet named like the register (in either language), or the one at ``position``."""
    names = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.add(reg.sheet_title)
    for sheet in workbook.worksheets:
        if sheet.title in names:
            return sheet
    if position < len(workbook.worksheets):
        return workbook.worksheets[position]
    raise ImportRejected([row_error(0, None, _("The workbook has no sheet %(name)s.") % {"name": reg.sheet_title})])


def iter_sheet(sheet, reg: Register) -> Iterator[tuple[int, dict, list[dict]]]:
    """Stream a sheet as ``(row number, {key: value}, cell errors)``, one row at a time.

    Blank rows are skipped. A missing required column rejects the file at once.
    """
    rows_iter: Iterator = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None)
    if header is None:
        raise ImportRejected([row_error(1, None, _("The sheet %(name)s is empty.") % {"name": sheet.title})])
    lookup = header_lookup(reg)
    positions: list[Column | None] = [lookup.get(str(h).strip()) if h is not None else None for h in header]
    present = {c.key for c in positions if c is not None}
    missing = [str(c.header) for c in reg.columns if c.required and c.key not in present]
    if missing:
        raise ImportRejected([row_error(1, None, _("Missing columns: %(names)s") % {"names": "、".join(missing)})])
    for number, values in enumerate(rows_iter, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        record: dict[str, Any] = {}
        errors = []
        for column, value in zip(positions, values, strict=False):
            if column is None:
                continue
            try:
                parsed = column.parse(value)
            except RowProblem as problem:
                errors.append(row_error(number, str(column.header), problem.message))
                continue
            if column.required and (parsed is None or parsed == ""):
                errors.append(row_error(number, str(column.header), _("This field is required.")))
                continue
            record[column.key] = parsed
        yield number, record, errors


def import_workbook(stream: BinaryIO, reg: Register, *, actor, params: dict, progress) -> dict:
    """Import every sheet of ``reg`` from the workbook in one transaction: all sheets or none.

    Each sheet's errors are collected (named by sheet); if any sheet has one, nothing is written.
    """
    workbook = open_workbook(stream)
    summary: dict[str, Any] = {"rows": 0, "created": 0, "updated": 0, "sheets": {}}
    errors: list[dict] = []
    try:
        with transaction.atomic():
            for position, part in enumerate(reg.sheets):
                sheet = find_sheet(workbook, part, position)
                done_before = summary["rows"]
                sheet_errors: list[dict] = []
                token = _DEFERRED.set(sheet_errors)
                try:
                    part_summary = part.import_rows(actor=actor, rows=iter_sheet(sheet, part), params=params,
                                                    progress=lambda n, base=done_before: progress(base + n))
                except ImportRejected as rejected:  # the sheet as a whole is wrong (missing columns, empty)
                    sheet_errors += rejected.errors
                    part_summary = {}
                finally:
                    _DEFERRED.reset(token)
                errors += [e | {"sheet": sheet.title} for e in sheet_errors]
                summary["sheets"][part.name] = part_summary
                for key in ("rows", "created", "updated"):
                    summary[key] += part_summary.get(key, 0)
            if errors:
                raise ImportRejected(errors)
    finally:
        workbook.close()
    return summary


# Importing: every row through the module's own services, all or nothing.

def _error_rows(number: int, error: ApplicationError) -> list[dict]:
    if error.fields:
        return [row_error(number, field, message) for field, messages in error.fields.items() for message in messages]
    return [row_error(number, None, error.message)]


def run_rows_atomically(rows, apply_row, progress) -> dict:
    """Apply each ``(number, record, cell errors)`` row; all or nothing.

    ``apply_row(number, record)`` returns "created" or "updated" or raises ApplicationError.
    """
    errors: list[dict] = []
    counts = {"created": 0, "updated": 0, "rows": 0}
    with transaction.atomic():
        for number, record, cell_errors in rows:
            counts["rows"] += 1
            if cell_errors:
                errors.extend(cell_errors)
            else:
                try:
                    with transaction.atomic():
                        counts[apply_row(number, record)] += 1
                except ApplicationError as error:
                    errors.extend(_error_rows(number, error))
            if counts["rows"] % 200 == 0:
                progress(counts["rows"])
        reject(errors)
    return counts

"""Writing the workbooks of Excel registers: exports, blank templates and error reports.

Every workbook is written in streaming (write-only) mode, so memory stays flat however many
rows it holds. A register's sheets carry its Chinese headers and, on every column with a list
of allowed values, a drop-down (long lists live on a hidden sheet the drop-down refers to).
A template adds 填写说明: what to write in each column, and every allowed value with the other
spellings the import also reads. An error report is the uploaded workbook again, each bad cell
filled red with its problem as a comment, and a last sheet listing every problem.
"""

import re
from collections.abc import Callable, Iterable
from typing import BinaryIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .registers import (
    KIND_HINTS,
    Column,
    Register,
    cell_text,
    column_at,
    find_sheet,
    header_lookup,
    open_workbook,
)

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="B22222")
_BAD_FILL = PatternFill("solid", fgColor="F8D7DA")
_SECTION_FONT = Font(bold=True)
INLINE_LIST_CHARS = 250  # Excel keeps a list typed into a validation under 255 characters
LAST_ROW = 1048576


class _Lists:
    """The allowed values of each column of a workbook, computed once, and the hidden sheet holding long lists."""

    def __init__(self, user):
        self.user = user
        self.columns: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
        self.long: list[tuple[str, list[str]]] = []

    def allowed(self, column: Column) -> list[tuple[str, tuple[str, ...]]]:
        if id(column) not in self.columns:
            self.columns[id(column)] = column.allowed(self.user)
        return self.columns[id(column)]

    def formula(self, column: Column) -> str | None:
        labels = [label for label, _aliases in self.allowed(column)]
        if not labels:
            return None
        inline = ",".join(labels)
        if len(inline) <= INLINE_LIST_CHARS and not any("," in label or '"' in label for label in labels):
            return f'"{inline}"'
        self.long.append((str(column.header), labels))
        letter = get_column_letter(len(self.long))
        return f"{quote_sheetname(_('Lists'))}!${letter}$2:${letter}${len(labels) + 1}"

    def write(self, workbook: Workbook) -> None:
        if not self.long:
            return
        sheet = workbook.create_sheet(title=_("Lists"))
        sheet.sheet_state = "hidden"
        sheet.append([header for header, _labels in self.long])
        for index in range(max(len(labels) for _header, labels in self.long)):
            sheet.append([labels[index] if index < len(labels) else None for _header, labels in self.long])


def _validation(column: Column, letter: str, lists: _Lists) -> DataValidation | None:
    formula = lists.formula(column)
    if formula is None:
        return None
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    # A warning, not a stop: the other spellings listed in 填写说明 are read too.
    validation.errorStyle = "warning"
    validation.showErrorMessage = True
    validation.errorTitle = _("Not in the list")[:32]
    validation.error = (_("Choose from the list, or write one value per cell as listed in 填写说明.") if not column.several
                        else _("Choose from the list; several values are separated by 、."))[:255]
    validation.showInputMessage = bool(column.note)
    validation.promptTitle = str(column.header)[:32]
    validation.prompt = str(column.note)[:255]
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    return validation


def _header_row(sheet, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def _register_sheet(workbook: Workbook, reg: Register, title: str, columns: list[Column | None], lists: _Lists | None):
    """A sheet with the register's widths, a frozen header and a drop-down on every column with a list."""
    sheet = workbook.create_sheet(title=title)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        if column is not None:
            sheet.column_dimensions[letter].width = column.width
            validation = _validation(column, letter, lists) if lists is not None else None
            if validation is not None:
                sheet.data_validations.append(validation)
    sheet.freeze_panes = "A2"
    return sheet


def write_workbook(stream: BinaryIO, sheets: list[tuple[Register, Iterable[list]]], *, user=None,
                   progress: Callable[[int], None] | None = None, guide: bool = False, lists: bool | None = None) -> int:
    """Stream each register's rows into its own sheet with a styled header; returns the number of rows.

    ``lists``: drop-downs of allowed values (by default on the registers that can be imported);
    ``guide``: a 填写说明 sheet after the register's sheets.
    """
    workbook = Workbook(write_only=True)
    allowed = _Lists(user)
    done = 0
    for reg, rows in sheets:
        with_lists = reg.can_import if lists is None else lists
        sheet = _register_sheet(workbook, reg, reg.sheet_title, reg.columns, allowed if with_lists else None)
        sheet.append(_header_row(sheet, [str(column.header) for column in reg.columns]))
        for row in rows:
            sheet.append(row)
            done += 1
            if progress and done % 500 == 0:
                progress(done)
    if guide:
        _write_guide(workbook, [reg for reg, _rows in sheets], allowed)
    allowed.write(workbook)
    workbook.save(stream)
    return done


def write_template(stream: BinaryIO, reg: Register, *, user) -> None:
    """A blank workbook for ``user``: each sheet's headers and drop-downs, and 填写说明 listing every allowed value."""
    write_workbook(stream, [(part, []) for part in reg.sheets], user=user, guide=True, lists=True)


def _write_guide(workbook: Workbook, regs: list[Register], allowed: _Lists) -> None:
    sheet = workbook.create_sheet(title=_("How to fill in"))
    for letter, width in zip("ABCDE", (14, 22, 8, 60, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append(_header_row(sheet, [_("Sheet"), _("Column"), _("Required"), _("What to enter"), _("Allowed values")]))
    for reg in regs:
        for column in reg.columns:
            values = allowed.allowed(column)
            hint = "；".join(str(text) for text in (KIND_HINTS.get(column.parse, ""), column.note) if text)
            if len(values) > 12:
                listed = _("%(n)s values: see the list below") % {"n": len(values)}
            else:
                listed = "、".join(label for label, _aliases in values)
            sheet.append([reg.sheet_title, str(column.header), _("yes") if column.required else "", hint, listed])
    if not any(allowed.allowed(column) for reg in regs for column in reg.columns):
        return
    sheet.append([])
    heading = WriteOnlyCell(sheet, value=_("Allowed values, and other ways of writing them that are read as the same"))
    heading.font = _SECTION_FONT
    sheet.append([heading])
    sheet.append(_header_row(sheet, [_("Sheet"), _("Column"), _("Value to write"), _("Also written as")]))
    for reg in regs:
        for column in reg.columns:
            for label, aliases in allowed.allowed(column):
                sheet.append([reg.sheet_title, str(column.header), label, "、".join(aliases)])


# Error reports.

def _sheet_errors(errors: list[dict], title: str) -> dict[int, dict[str, list[dict]]]:
    found: dict[int, dict[str, list[dict]]] = {}
    for error in errors:
        if error.get("sheet") == title and error["row"] >= 1:
            found.setdefault(error["row"], {}).setdefault(error["column"], []).append(error)
    return found


def write_error_report(source: BinaryIO, stream: BinaryIO, reg: Register, errors: list[dict], *, user) -> None:
    """The uploaded workbook again with every bad cell marked, and a last sheet listing every problem.

    Each error gets the ``value`` of its cell from the file (for the page's table). Only the
    register's sheets are copied, values only, with the register's drop-downs.
    """
    upload = open_workbook(source)
    workbook = Workbook(write_only=True)
    allowed = _Lists(user)
    try:
        for position, part in enumerate(reg.sheets):
            uploaded = find_sheet(upload, part, position)
            if uploaded is not None:
                _copy_marked(workbook, uploaded, part, _sheet_errors(errors, uploaded.title), allowed)
    finally:
        upload.close()
    listing = workbook.create_sheet(title=_("Problems"))
    for letter, width in zip("ABCDE", (12, 8, 20, 20, 60), strict=True):
        listing.column_dimensions[letter].width = width
    listing.freeze_panes = "A2"
    listing.append(_header_row(listing, [_("Sheet"), _("Row"), _("Column"), _("Value"), _("Problem")]))
    for error in errors:
        listing.append([error.get("sheet", ""), error["row"] or None, error["column"], error.get("value", ""), error["message"]])
    allowed.write(workbook)
    workbook.save(stream)


def _copy_marked(workbook: Workbook, uploaded, reg: Register, marks: dict[int, dict[str, list[dict]]], allowed: _Lists) -> None:
    rows = uploaded.iter_rows(values_only=True)
    header = list(next(rows, None) or ())
    lookup = header_lookup(reg)
    columns = [column_at(lookup, h) for h in header]
    by_header = {str(column.header): index for index, column in enumerate(columns) if column is not None}
    sheet = _register_sheet(workbook, reg, uploaded.title, columns, allowed)
    sheet.append(_header_row(sheet, [cell_text(h) for h in header]))
    for number, values in enumerate(rows, start=2):
        values = list(values or ())
        row_marks = marks.get(number)
        if not row_marks:
            sheet.append(values)
            continue
        cells: list = list(values)
        for column_header, found in row_marks.items():
            index = by_header.get(column_header, 0)
            while len(cells) <= index:
                cells.append(None)
            value = values[index] if index < len(values) else None
            for error in found:
                if column_header and value not in (None, ""):
                    error.setdefault("value", cell_text(value))
            cell = cells[index] if isinstance(cells[index], Cell) else WriteOnlyCell(sheet, value=cells[index])
            cell.fill = _BAD_FILL
            text = "\n".join(e["message"] for e in found)
            cell.comment = Comment(f"{cell.comment.text}\n{text}" if cell.comment else text, "Linli", width=300, height=120)
            cells[index] = cell
        sheet.append(cells)


def safe_file_name(*parts: str) -> str:
    """Parts joined by _ as a file name every system accepts (Chinese kept, separators and reserved characters dropped)."""
    cleaned = [re.sub(r'[\\/:*?"<>|\s]+', "", part) for part in parts]
    return "_".join(part for part in cleaned if part) + ".xlsx"

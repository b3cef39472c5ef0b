"""Excel registers (台账): one description per register, used for export, template and import.

A module describes a register once — its columns, how to read its rows for a user, and how
to import rows — and calls ``register(...)``. The export, the blank template (Chinese column
names, every allowed value as a drop-down and in 填写说明), and the all-or-nothing import
(every bad cell of every sheet reported at once with its sheet, row and column, nothing
written if any is bad) then work for it without more code, through the task worker and the
``ExcelJob`` record that shows progress. Writing workbooks is in ``excel.workbooks``.
"""

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, BinaryIO

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from core.errors import ApplicationError, ValidationFailed
from org.models import Division

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
LANGUAGES = ("zh-hans", "en")


class RowProblem(Exception):
    """A cell value that cannot be read; ``message`` says why."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def word_key(text) -> str:
    """How two spellings of a word are compared: without spaces, in lower case, brackets half-width."""
    return "".join(str(text).split()).lower().replace("（", "(").replace("）", ")")


class Vocabulary:
    """The values a column allows, and the other words people write for each of them.

    The template offers each value's label as a drop-down and lists it in 填写说明 with its other
    spellings (``aliases``: the seeds' own wording, e.g. 街道自有产权 for 街道自有); reading a cell
    accepts the label in either language, the stored value, or any alias. Called on a cell value,
    it returns the stored value or raises ``RowProblem``.
    """

    def __init__(self, choices, aliases: Mapping[str, Iterable[str]] | None = None):
        self._choices = choices
        self.aliases = {value: tuple(words) for value, words in (aliases or {}).items()}
        unknown = set(self.aliases) - {value for value, _label in self.choices}
        if unknown:
            raise ImproperlyConfigured(f"Aliases for values that are not choices: {sorted(unknown)}")

    @property
    def choices(self) -> list[tuple[str, Any]]:
        return list(getattr(self._choices, "choices", self._choices))

    def allowed(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each value's label in the current language, with its other spellings."""
        return [(str(label), self.aliases.get(value, ())) for value, label in self.choices]

    def label(self, value: str) -> str:
        return next((str(label) for v, label in self.choices if v == value), value or "")

    @cached_property
    def _words(self) -> dict[str, str]:
        words: dict[str, str] = {}
        for value, label in self.choices:
            spellings = {value, *self.aliases.get(value, ())}
            for language in LANGUAGES:
                with translation.override(language):
                    spellings.add(str(label))
            for spelling in spellings:
                key = word_key(spelling)
                if words.get(key, value) != value:
                    raise ImproperlyConfigured(f"{spelling!r} names both {words[key]!r} and {value!r}")
                words[key] = value
        return words

    def __call__(self, value) -> str:
        text = parse_text(value)
        if not text:
            return ""
        found = self._words.get(word_key(text))
        if found is None:
            raise RowProblem(_("%(value)s is not one of: %(labels)s") % {
                "value": text, "labels": "、".join(label for label, _aliases in self.allowed())})
        return found


def parse_choice(choices, aliases: Mapping[str, Iterable[str]] | None = None) -> Vocabulary:
    """A column's allowed values (a ``TextChoices`` or ``(value, label)`` pairs) and their other spellings."""
    return Vocabulary(choices, aliases)


@dataclass
class Column:
    key: str
    header: Any  # a lazy translation: Chinese in a Chinese workbook
    parse: Callable[[Any], Any] = lambda value: value
    required: bool = False
    width: int = 16
    note: Any = ""
    # Allowed values that come from the database, as this user may name them: (label, other spellings).
    options: Callable[[Any], list[tuple[str, tuple[str, ...]]]] | None = None
    several: bool = False  # several values in one cell, separated by 、
    headers: tuple = ()  # other headers read as this column (older templates)
    fields: tuple = ()  # the names services give this column in their errors, besides ``key``

    @property
    def vocabulary(self) -> Vocabulary | None:
        return self.parse if isinstance(self.parse, Vocabulary) else None

    def allowed(self, user) -> list[tuple[str, tuple[str, ...]]]:
        """Every value a person may write in this column, with its other spellings; [] when free."""
        if self.vocabulary is not None:
            return self.vocabulary.allowed()
        if self.parse is parse_bool:
            return YES_NO.allowed()
        if self.options is not None:
            return self.options(user)
        return []


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
    """Some rows are bad: nothing was written. ``errors`` holds every bad cell; ``summary`` the row counts."""

    errors: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


REGISTERS: dict[str, Register] = {}

# While a workbook of several sheets is imported, each sheet's bad rows are collected here
# instead of ending the import, so that later sheets can refer to the good rows of earlier
# ones; the workbook import then refuses the whole file once, with every sheet's errors.
_DEFERRED: ContextVar[list | None] = ContextVar("excel_deferred_rejections", default=None)
# What the sheets of one workbook share while it is imported (the keys a file gives its new sites).
_SHARED: ContextVar[dict | None] = ContextVar("excel_workbook_shared", default=None)


def reject(errors: list[dict]) -> None:
    """Refuse these bad rows: at once, or at the end of the workbook being imported."""
    if not errors:
        return
    deferred = _DEFERRED.get()
    if deferred is None:
        raise ImportRejected(errors)
    deferred.extend(errors)


@contextmanager
def one_workbook():
    """Imports made inside share what one workbook's sheets share: the keys its new rows were given."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def workbook_shared() -> dict:
    """A dict the sheets of the workbook being imported share (a fresh one outside a workbook import)."""
    shared = _SHARED.get()
    return {} if shared is None else shared


def register(reg: Register) -> Register:
    REGISTERS[reg.name] = reg
    return reg


def get_register(name: str) -> Register:
    try:
        return REGISTERS[name]
    except KeyError:
        raise ValidationFailed(fields={"register": [_("Unknown register: %(name)s") % {"name": name}]}) from None


def row_error(row: int, column: str | None, message, value=None) -> dict:
    error = {"row": row, "column": str(column) if column else "", "message": str(message)}
    if value is not None and value != "":
        error["value"] = cell_text(value)
    return error


def cell_text(value) -> str:
    """A cell's value as a person reads it (dates without a time of day, whole numbers without .0)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


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
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise RowProblem(_("Enter a number.")) from None
    if not number.is_finite():
        raise RowProblem(_("Enter a number."))
    return number


def parse_date(value) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    match = re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", text)
    if match:
        text = "-".join(match.groups())
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return datetime.date(year, month, day)
    except ValueError:
        raise RowProblem(_("Enter a date such as 2026-05-01.")) from None


def yes_no(flag) -> str:
    """How a register writes a yes/no cell: 是 or 否, which ``parse_bool`` reads back."""
    return "是" if flag else "否"


YES_NO = Vocabulary([("yes", _("yes")), ("no", _("no"))], aliases={"yes": ("是", "有", "1", "TRUE"), "no": ("否", "无", "0", "FALSE")})


def parse_bool(value) -> bool | None:
    if value is None or value == "":
        return None
    try:
        return YES_NO(value) == "yes"
    except RowProblem:
        raise RowProblem(_("Enter 是 or 否 (yes or no).")) from None


def same_value(stored, given) -> bool:
    """Whether a cell says what is stored, comparing values, not their text: 611 is 611.00, a blank
    cell is an empty text or no value, and a week without hours is the same however it is kept."""
    if isinstance(stored, dict) or isinstance(given, dict):
        return {k: v for k, v in (stored or {}).items() if v} == {k: v for k, v in (given or {}).items() if v}
    if stored in (None, "") and given in (None, ""):
        return True
    if isinstance(stored, Decimal | int | float) and isinstance(given, Decimal | int | float) and not isinstance(stored, bool):
        return Decimal(str(stored)) == Decimal(str(given))
    return stored == given


def choice_label(choices, value: str) -> str:
    return str(choices(value).label) if value else ""


# What a person writes in a cell of each kind, said once for the template's 填写说明.
KIND_HINTS = {parse_int: _("A whole number"), parse_decimal: _("A number"), parse_date: _("A date such as 2026-05-01"),
              parse_bool: _("是 or 否")}


class DivisionNames:
    """The divisions a user may name in a workbook, by name rather than by code.

    A division is written by its name (梅阳社区); where two divisions in the user's reach share a
    name, by its parent's name and its own (中山街道/梅阳社区). Its 12-digit code is read too.
    """

    def __init__(self, divisions: QuerySet[Division]):
        divisions = list(divisions.select_related("parent").only("code", "name", "level", "path", "parent__name").order_by("path"))
        names: dict[str, int] = {}
        for division in divisions:
            names[division.name] = names.get(division.name, 0) + 1
        self._labels = {d.pk: d.name if names[d.name] == 1 else f"{d.parent.name if d.parent else ''}/{d.name}"
                        for d in divisions}
        self._found: dict[str, Division] = {}
        for division in divisions:
            for word in (division.code, self._labels[division.pk], f"{division.parent.name if division.parent else ''}{division.name}"):
                self._found.setdefault(word_key(word), division)
        self.divisions = divisions

    def label(self, division: Division) -> str:
        return self._labels.get(division.pk, division.code)

    def find(self, text: str) -> Division | None:
        return self._found.get(word_key(text)) if text else None

    def allowed(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(self._labels[d.pk], ()) for d in self.divisions]


def export_sheets(reg: Register, *, user, params: dict) -> tuple[int, list[tuple[Register, Iterable[list]]]]:
    """The rows of every sheet of ``reg`` as ``user`` can see them, and how many there are in all."""
    total, sheets = 0, []
    for part in reg.sheets:
        count, rows = part.export_rows(user=user, params=params)
        total += count
        sheets.append((part, rows))
    return total, sheets


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
        for language in LANGUAGES:
            with translation.override(language):
                for header in (column.header, *column.headers):
                    names[word_key(header)] = column
    return names


def column_at(lookup: dict[str, Column], header) -> Column | None:
    if header is None:
        return None
    return lookup.get(str(header).strip()) or lookup.get(word_key(header))


def open_workbook(stream: BinaryIO):
    """Open a workbook read-only (memory stays flat however long its sheets are)."""
    try:
        return load_workbook(stream, read_only=True, data_only=True)
    except Exception:
        raise ImportRejected([row_error(0, None, _("The file could not be opened as an Excel workbook."))]) from None


def sheet_names(reg: Register) -> set[str]:
    names = set()
    for language in LANGUAGES:
        with translation.override(language):
            names.add(reg.sheet_title)
    return names


def find_sheet(workbook, reg: Register, position: int):
    """The sheet named like the register (in either language), or the one at ``position``; None if neither."""
    names = sheet_names(reg)
    for sheet in workbook.worksheets:
        if sheet.title in names:
            return sheet
    if position < len(workbook.worksheets):
        return workbook.worksheets[position]
    return None


class Record(dict):
    """A row's readable cells by column key. ``complete`` is False when a required cell is empty or unreadable."""

    complete = True


def iter_sheet(sheet, reg: Register) -> Iterator[tuple[int, Record, list[dict]]]:
    """Stream a sheet as ``(row number, {key: value}, cell errors)``, one row at a time.

    Every cell of a row is read, so a row reports all its unreadable cells at once; the record
    holds the cells that could be read. Blank rows are skipped. A missing required column
    rejects the sheet at once.
    """
    rows_iter: Iterator = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None)
    if header is None:
        raise ImportRejected([row_error(1, None, _("The sheet %(name)s is empty.") % {"name": sheet.title})])
    lookup = header_lookup(reg)
    positions: list[Column | None] = [column_at(lookup, h) for h in header]
    present = {c.key for c in positions if c is not None}
    missing = [str(c.header) for c in reg.columns if c.required and c.key not in present]
    if missing:
        raise ImportRejected([row_error(1, None, _("Missing columns: %(names)s") % {"names": "、".join(missing)})])
    for number, values in enumerate(rows_iter, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        record = Record()
        errors = []
        for column, value in zip(positions, values, strict=False):
            if column is None:
                continue
            try:
                parsed = column.parse(value)
            except RowProblem as problem:
                errors.append(row_error(number, str(column.header), problem.message, value))
                record.complete = record.complete and not column.required
                continue
            if column.required and (parsed is None or parsed == ""):
                errors.append(row_error(number, str(column.header), _("This field is required.")))
                record.complete = False
                continue
            record[column.key] = parsed
        yield number, record, errors


class _Counted:
    """The rows of a sheet, counting those read (blank rows are not rows)."""

    def __init__(self, rows: Iterable):
        self.rows, self.read = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.read += 1
            yield row


def _named_columns(errors: list[dict], reg: Register) -> list[dict]:
    """Each error's column by its header (services name fields, ``floor_area``; a person reads 建筑面积（平方米）),
    one problem per cell: a cell that cannot be read is not also reported by the checks that follow."""
    headers: dict[str, str] = {}
    for column in reg.columns:
        for name in (column.key, *column.fields):
            headers[name] = str(column.header)
    known = set(headers.values())
    position = {str(column.header): index for index, column in enumerate(reg.columns)}
    errors = sorted(errors, key=lambda e: (e["row"], position.get(headers.get(e.get("column") or "", e.get("column") or ""), -1)))
    named, seen = [], set()
    for error in errors:
        column = error.get("column") or ""
        error["column"] = column if column in known else headers.get(column, "")
        if error["column"]:
            if (error["row"], error["column"]) in seen:
                continue
            seen.add((error["row"], error["column"]))
        named.append(error)
    return named


def import_workbook(stream: BinaryIO, reg: Register, *, actor, params: dict, progress) -> dict:
    """Import every sheet of ``reg`` from the workbook in one transaction: all sheets or none.

    Every sheet is read to its end whatever the others hold, and every bad cell is collected
    (named by sheet, row and column header); if there is any, nothing is written and
    ``ImportRejected`` carries them all with the row counts (rows read, valid, with errors).
    """
    workbook = open_workbook(stream)
    summary: dict[str, Any] = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "sheets": {}}
    errors: list[dict] = []
    try:
        with one_workbook(), transaction.atomic():
            for position, part in enumerate(reg.sheets):
                sheet = find_sheet(workbook, part, position)
                if sheet is None:
                    errors.append(row_error(0, None, _("The workbook has no sheet %(name)s.") % {"name": part.sheet_title})
                                  | {"sheet": part.sheet_title})
                    continue
                rows = _Counted(iter_sheet(sheet, part))
                done_before = summary["rows"]
                sheet_errors: list[dict] = []
                token = _DEFERRED.set(sheet_errors)
                try:
                    part_summary = part.import_rows(actor=actor, rows=rows, params=params,
                                                    progress=lambda n, base=done_before: progress(base + n))
                except ImportRejected as rejected:  # the sheet as a whole is wrong (missing columns, empty)
                    sheet_errors += rejected.errors
                    part_summary = {}
                finally:
                    _DEFERRED.reset(token)
                errors += [e | {"sheet": sheet.title} for e in _named_columns(sheet_errors, part)]
                summary["sheets"][part.name] = {key: part_summary.get(key, 0) for key in ("created", "updated", "unchanged")}
                summary["sheets"][part.name]["rows"] = rows.read
                summary["rows"] += rows.read
                for key in ("created", "updated", "unchanged"):
                    summary[key] += part_summary.get(key, 0)
            invalid = len({(e.get("sheet"), e["row"]) for e in errors if e["row"] > 1})
            summary |= {"invalid": invalid, "valid": max(0, summary["rows"] - invalid)}
            if errors:
                raise ImportRejected(errors, {"rows": summary["rows"], "valid": summary["valid"], "invalid": invalid,
                                              "sheets": {name: {"rows": part["rows"]} for name, part in summary["sheets"].items()}})
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

    ``apply_row(number, record)`` returns "created", "updated" or "unchanged", or raises
    ApplicationError. A row with unreadable cells is still tried with the cells that could be
    read (and undone), so that its other problems are reported in the same pass; a row missing
    a required value cannot be tried.
    """
    errors: list[dict] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rows": 0}
    with transaction.atomic():
        for number, record, cell_errors in rows:
            counts["rows"] += 1
            errors.extend(cell_errors)
            if not cell_errors or getattr(record, "complete", True):
                try:
                    with transaction.atomic():
                        outcome = apply_row(number, record)
                        if cell_errors:
                            transaction.set_rollback(True)
                        else:
                            counts[outcome] += 1
                except ApplicationError as error:
                    errors.extend(_error_rows(number, error))
            if counts["rows"] % 200 == 0:
                progress(counts["rows"])
        reject(errors)
    return counts

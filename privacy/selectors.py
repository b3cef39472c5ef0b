"""Reading what Linli keeps of a person, module by module (``core.privacy.personal_data_sources``)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from accounts.models import Role
from accounts.permissions import active_roles
from core.privacy import Rows, personal_data_sources


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: Rows | list[list[str]]  # lists of words: read as far as they are shown on the page, whole in the copy


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _cells(row) -> list[str]:
    return [_cell(v) for v in row]


def personal_data_sections(*, user, whole: bool = False) -> list[Section]:
    """Everything each module keeps of ``user``, as sections of rows in words: ``whole`` for the copy they
    download (every row read once), else read only as far as a page shows them (a worker's thousands of
    bookings are counted, not read)."""
    sections = []
    for source in personal_data_sources():
        columns, rows = source.collect(user)
        rows = Rows(rows, _cells)
        sections.append(Section(key=source.key, title=str(source.label), columns=[str(c) for c in columns],
                                rows=list(rows) if whole else rows))
    return sections


def personal_data_files(*, user) -> list[tuple[str, object]]:
    """The person's own uploads (feedback photos) as ``(name, file)``."""
    found = []
    for source in personal_data_sources():
        if source.files is not None:
            found.extend(source.files(user))
    return found


def may_close_account(user) -> bool:
    """Residents close their own accounts; an account holding any other role (staff of a community, a
    street, the bureau, an operator, a charity or a unit, a fund committee member) is stopped by those
    who manage it, since the records of its work are signed with it."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    return all(a.role == Role.RESIDENT for a in active_roles(user))

"""Residents' personal data (个人信息保护法): how it is masked, who sees it whole, and what each
module holds of a person.

**The rule, in one place.** A resident's name, mobile number and door-level address are shown
whole only where the work needs them (最小必要, 个人信息保护法 第六条):

* to the person themself;
* to the staff who handle the record: the community workers of the community it belongs to (a
  grid worker counts for their grid's community) and, for a record a street handles (feedback
  routed to the street, a street's own activity), the street's administrators;
* the name only (never the number), to operator staff on the records of their own organisation:
  the people registered for the activities it runs, the orders it serves, the volunteers at its
  opportunities; and to the staff of a unit in the area, on the requests to use what it opens;
* to the system administrator.

Everyone else — the civil-affairs supervisors, a street's administrators for what its communities
handle, charity staff, fund committee members, the staff of units in the area, other residents —
sees them masked: 138****5678, 张*, 3-2-***. ID card numbers are shown whole to nobody but the
person (110105********002X everywhere else). ``viewer_of(user).sees(kind, division=…)`` decides;
``show`` masks; pages use ``{% personal %}`` (``core/templatetags/personal.py``) and exports call
``show`` per cell, so a list, its export and its API say the same.

Staff names are not masked: a worker's name on their work is how residents reach them. The masks
apply to residents (``residents_among``: accounts holding no role but resident).

**What each module holds.** A module that keeps personal data of residents declares it in its
``personal_data.py`` with ``personal_data_source``: how to read a person's rows (for the copy a
resident downloads, 第四十五条) and how to erase or anonymise them when the account is closed
(第四十七条). ``privacy.services`` runs them all.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

NAME = "name"
PHONE = "phone"
ADDRESS = "address"
ID_NUMBER = "id_number"
KINDS = (NAME, PHONE, ADDRESS, ID_NUMBER)

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_CARD = re.compile(r"(?<![\dXx])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx])")
# The door of an address: the number it ends with (3-2-501, 8栋502), or with 室, 户, 房 or 号 after it.
DOOR = re.compile(r"\d+(?=\s*(?:室|户|房|号房|号)?\s*$)")


def mask_phone(value: str | None) -> str:
    """138****5678; a number too short to tell apart is hidden whole."""
    value = (value or "").strip()
    if not value:
        return ""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 8 else "****"


def mask_name(value: str | None) -> str:
    """The family name only: 张*, 赵**."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[0] + "*" * min(max(len(value) - 1, 1), 2)


def mask_id_number(value: str | None) -> str:
    """110105********002X: the place of issue and the last four, as volunteer platforms show it."""
    value = (value or "").strip()
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_address(value: str | None) -> str:
    """The building and unit, without the door: 3-2-501 → 3-2-***, 5号楼2单元301室 → 5号楼2单元***室.
    A place without a door number (中心广场东门, 5号楼2单元, 3号楼门口) stays as it is."""
    value = (value or "").strip()
    return DOOR.sub("***", value, count=1) if value else ""


def mask_username(value: str | None) -> str:
    """A username that is a mobile number (residents sign up with theirs) is masked as one."""
    value = value or ""
    return mask_phone(value) if MOBILE.fullmatch(value) else value


MASKS: dict[str, Callable[[str | None], str]] = {NAME: mask_name, PHONE: mask_phone, ADDRESS: mask_address, ID_NUMBER: mask_id_number}


def redact_text(text: str | None) -> str:
    """Free text for the public: mobile and ID card numbers in it masked."""
    text = ID_CARD.sub(lambda m: mask_id_number(m.group(0)), text or "")
    return MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


def coarse(value, places: int = 3) -> float | None:
    """A coordinate rounded for the public: three decimals are about 110 m north–south (less east–west)."""
    return None if value is None else round(float(value), places)


def _id(value) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return getattr(value, "pk", None)


@dataclass
class Viewer:
    """What one user may see whole. ``revealed`` counts what ``show`` gave whole of other people."""

    user_id: int | None = None
    everything: bool = False
    handles: frozenset[int] = frozenset()  # the divisions (ids) whose records they handle as staff
    organisations: frozenset[int] = frozenset()  # operators they work for
    revealed: int = field(default=0, compare=False)

    def sees(self, kind: str, *, division=None, organisation=None, owner=None) -> bool:
        """Whether ``kind`` of a record at ``division`` (the one that handles it), run by ``organisation``
        and about ``owner`` (rows or their ids), is shown whole to this viewer."""
        if self.user_id is not None and _id(owner) == self.user_id:
            return True
        if self.everything:
            return True
        if kind == ID_NUMBER:
            return False
        if _id(division) in self.handles:
            return True
        return kind == NAME and _id(organisation) in self.organisations

    def show(self, value, kind: str, *, division=None, organisation=None, owner=None) -> str:
        """``value`` whole or masked, for this viewer."""
        text = "" if value is None else str(value)
        if not text:
            return ""
        if self.sees(kind, division=division, organisation=organisation, owner=owner):
            if _id(owner) != self.user_id:
                self.revealed += 1
            return text
        return MASKS[kind](text)


NOBODY = Viewer()


def viewer_of(user) -> Viewer:
    """The viewer ``user`` is, from their active roles (kept on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return NOBODY
    cached = getattr(user, "_linli_viewer", None)
    if cached is not None:
        return cached
    from accounts.models import Role
    from accounts.permissions import active_roles

    handles, organisations = set(), set()
    for assignment in active_roles(user):
        if assignment.role == Role.COMMUNITY_WORKER and assignment.division_id:
            # A grid worker works for the grid's community.
            grid = assignment.division.level == "grid"
            handles.add(assignment.division.parent_id if grid else assignment.division_id)
        elif assignment.role == Role.STREET_ADMIN and assignment.division_id:
            handles.add(assignment.division_id)
        elif assignment.role in (Role.OPERATOR_STAFF, Role.UNIT_STAFF) and assignment.organisation_id:
            organisations.add(assignment.organisation_id)
    viewer = Viewer(user_id=user.pk, everything=bool(user.is_superuser and user.is_active), handles=frozenset(handles),
                    organisations=frozenset(organisations))
    user._linli_viewer = viewer
    return viewer


def fresh_viewer(user) -> Viewer:
    """``viewer_of(user)`` with its count of what it showed whole at zero (an export counts its own)."""
    from dataclasses import replace

    return replace(viewer_of(user), revealed=0)


# The username a closed account is left with (privacy.services.account_close): its name already says it is closed.
CLOSED_PREFIX = "closed-"


def residents_among(user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who are residents and nothing else (no staff or committee role): the people
    whose names the masks protect. A closed account holds no role and counts as a resident."""
    from accounts.models import Role, RoleAssignment

    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return set()
    working = set(RoleAssignment.objects.active().filter(user_id__in=ids).exclude(role=Role.RESIDENT)
                  .values_list("user_id", flat=True))
    return ids - working


def person_label(viewer: Viewer, person, *, resident: bool, division=None, organisation=None) -> str:
    """A person's name as ``viewer`` may read it: a resident's masked unless the rule shows it, staff as they are."""
    if person is None:
        return ""
    label = getattr(person, "label", None) or str(person)
    if not resident:
        return label
    return viewer.show(label, NAME, division=division, organisation=organisation, owner=person)


# What each module holds of a person.

@dataclass(frozen=True)
class PersonalDataSource:
    """Personal data one module keeps of a person.

    ``collect(user)`` returns ``(columns, rows)``: Chinese column headers and the person's rows, values
    as a person reads them, for the copy they download; ``rows`` is a list, or ``Rows`` over a
    queryset where a person may have thousands (a worker's bookings, the audit trail), so that the
    page counts them and reads only those it shows. ``erase(user, now)`` anonymises or deletes
    them when the account is closed, inside the closing transaction, and returns how many rows it
    touched. ``files(user)`` yields ``(name, file)`` of uploads of theirs to put in the copy."""

    key: str
    label: object
    collect: Callable
    erase: Callable | None = None
    files: Callable | None = None
    order: int = 100


class Rows(Sequence):
    """A person's rows read only as far as they are looked at: ``len()`` counts (in the database, for a
    queryset), a slice reads that slice, iterating reads them all in chunks. ``to_row`` makes one row
    of one item; ``items`` is a queryset, a list or another ``Rows``."""

    def __init__(self, items, to_row: Callable):
        self.items, self.to_row = items, to_row
        self._length = None

    def __len__(self) -> int:
        if self._length is None:
            self._length = self.items.count() if isinstance(self.items, QuerySet) else len(self.items)
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.to_row(item) for item in self.items[index]]
        return self.to_row(self.items[index])

    def __iter__(self):
        items = self.items.iterator(chunk_size=2000) if isinstance(self.items, QuerySet) else self.items
        for item in items:
            yield self.to_row(item)


SOURCES: dict[str, PersonalDataSource] = {}


def personal_data_source(key: str, label, *, collect: Callable, erase: Callable | None = None, files: Callable | None = None,
                         order: int = 100) -> PersonalDataSource:
    """Declare what a module keeps of a person (called from the module's ``personal_data.py``)."""
    source = PersonalDataSource(key=key, label=label, collect=collect, erase=erase, files=files, order=order)
    SOURCES[key] = source
    return source


def personal_data_sources() -> list[PersonalDataSource]:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("personal_data")
    return sorted(SOURCES.values(), key=lambda s: (s.order, s.key))


def local_text(moment: datetime | None) -> str:
    """A time as a person reads it in the copy: 2026-05-01 09:30 (the city's time zone)."""
    from django.utils import timezone

    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) else str(moment)


# Staff opening residents' personal data leave a trace in the audit trail.

VIEWED = "privacy.personal_data.viewed"
EXPORTED = "privacy.personal_data.exported"


def personal_data_opened(*, user, target, division, people: int, now: datetime | None = None) -> None:
    """Record that ``user`` opened the personal data of ``people`` residents shown whole on ``target``'s
    page (a registration list, a feedback request, a volunteer list): once per person, record and
    ``audit.services.ACCESS_WINDOW``, so a page opened again and again does not flood the trail. The
    person's own data, and data shown masked, are not recorded."""
    if people <= 0 or not getattr(user, "is_authenticated", False):
        return
    from audit.services import audit_record_access

    audit_record_access(actor=user, action=VIEWED, target=target, division=division, changes={"residents": people}, now=now)


def personal_data_exported(*, user, register: str, division, people: int) -> None:
    """Record an Excel export that carried ``people`` rows of residents' personal data whole (every time)."""
    if people <= 0 or not getattr(user, "is_authenticated", False):
        return
    from django.db import transaction

    from audit.services import audit_record
    from excel.registers import get_register
    from org.selectors import user_home_division

    with transaction.atomic():  # the register by its title, in the job's language
        audit_record(actor=user, action=EXPORTED, division=division or user_home_division(user=user),
                     changes={"register": str(get_register(register).title), "residents": people})


class PersonalDataAdminMixin:
    """For the back office's read-only lists and records of what holds residents' personal data: the rows
    and the record are masked by the same rule as the pages (the admin never saves these objects, so they
    are masked in memory). A model admin says how, in ``mask_personal(viewer, obj)``."""

    def mask_personal(self, viewer: Viewer, obj) -> None:
        raise NotImplementedError

    # The account a record names (who sent a feedback request, whose volunteer sign-up), on the record's page.
    person_field: str | None = None

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            viewer = viewer_of(request.user)
            self.mask_personal(viewer, obj)
            person = getattr(obj, self.person_field) if self.person_field else None
            if person is not None and not viewer.sees(NAME, division=self.person_division(obj), owner=person):
                person.display_name, person.username = mask_name(person.label), mask_username(person.username)
        return obj

    def person_division(self, obj):
        return None

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        viewer = viewer_of(request.user)
        for obj in changelist.result_list:
            self.mask_personal(viewer, obj)
        return changelist

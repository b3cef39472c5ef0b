"""A person's rights over what Linli keeps of them (个人信息保护法):

* ``personal_data_archive``: a copy of everything, module by module, as a ZIP holding a workbook
  for people, the same as JSON for programs, and their own photos (第四十五条: the right to consult
  and copy one's personal information, and to have it transferred).
* ``account_close``: a resident closes their account, after typing their password again. Each
  module erases or anonymises what it keeps (``core.privacy.personal_data_source``); then the
  account is anonymised in place (name, mobile number, email and username replaced, password made
  unusable, deactivated), its roles and API tokens revoked — so no session or token works any more
  and nobody can sign in with it (第四十七条: deletion when the person withdraws, the purpose is
  achieved or the service ends). The rows that point at the account (registrations, orders,
  bookings, hours) keep pointing at it, now anonymous, so the community's figures stay true.

What is kept, and why (``KEPT``): the audit trail is append-only and kept as the network log the
Cybersecurity Law requires (网络安全法 第二十一条: at least six months) and as the record of the
staff's work; the community funds' books as accounting records (会计档案管理办法 第十四条: 30
years). Where a law sets such a period, 第四十七条 second paragraph asks the handler to stop any
processing but storage and protection — which is what the trail does: it is read only by
supervisors, it shows the account as closed, and residents' names in it are masked.
"""

import io
import json
import zipfile
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ApiToken, PhoneVerification, RoleAssignment
from accounts.permissions import forget_roles
from audit.services import audit_record
from core.errors import PermissionDenied, ValidationFailed
from core.privacy import CLOSED_PREFIX, personal_data_sources
from org.selectors import user_home_division

from .selectors import Section, may_close_account, personal_data_files, personal_data_sections

# What stays after an account is closed, and the law that keeps it.
KEPT = [
    gettext_lazy("The audit trail of what was done on the platform stays unchanged: the law keeps network logs for at least six "
                 "months (网络安全法 第二十一条) and the trail is the record of the staff's work. It shows your account as closed; only "
                 "supervisors read it, and residents' names in it are masked (个人信息保护法 第四十七条第二款)."),
    gettext_lazy("Community funds' books stay as accounting records must (会计档案管理办法 第十四条: 30 years); a donation made in "
                 "your name stays in them as it was disclosed."),
    gettext_lazy("Your past registrations, check-ins, orders, bookings, ratings, feedback and volunteer hours stay in the "
                 "community's figures under no name: they no longer say who you are."),
]

# What goes.
REMOVED = [
    gettext_lazy("Your name, mobile number, email and username; your password stops working and you are signed out everywhere."),
    gettext_lazy("Your roles and API tokens are revoked."),
    gettext_lazy("Your household (address and who lives there) and your messages are deleted."),
    gettext_lazy("Your registrations for activities still to come, orders not yet delivered and bookings still to come are "
                 "cancelled; order details, comments and your feedback's contact name and phone are cleared, and your feedback "
                 "is taken off the public list."),
    gettext_lazy("Your volunteer sign-up (real name, mobile and ID numbers, skills) is cleared and withdrawn."),
]


def _sheet_title(text: str, taken: set[str]) -> str:
    title = "".join(c for c in text if c not in "[]:*?/\\")[:28] or "Sheet"
    base, n = title, 2
    while title in taken:
        title, n = f"{base[:26]}{n}", n + 1
    taken.add(title)
    return title


def _workbook(sections: list[Section]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for section in sections:
        sheet = book.create_sheet(_sheet_title(section.title, taken))
        sheet.append(section.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append(row)
        for index, column in enumerate(section.columns, start=1):
            width = max([len(column), *(len(r[index - 1]) for r in section.rows[:200])]) if section.rows else len(column)
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(max(width * 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def personal_data_document(user, sections: list[Section], now: datetime) -> dict:
    return {
        "title": _("My data on %(site)s") % {"site": str(settings.LINLI_SITE_NAME)},
        "person": user.label,
        "made_at": timezone.localtime(now).isoformat(timespec="seconds"),
        "sections": [{"key": s.key, "title": s.title, "columns": s.columns, "rows": s.rows} for s in sections],
    }


def personal_data_archive(*, actor, now: datetime | None = None) -> tuple[str, bytes]:
    """The person's copy of their data: ``(file name, ZIP bytes)``. The download is recorded in the trail."""
    now = now or timezone.now()
    sections = personal_data_sections(user=actor, whole=True)
    document = personal_data_document(actor, sections, now)
    stamp = timezone.localtime(now).strftime("%Y%m%d")
    mine, read_me, photos = _("My data"), _("Read me"), _("Photos")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{mine}.xlsx", _workbook(sections))
        archive.writestr(f"{mine}.json", json.dumps(document, ensure_ascii=False, indent=2))
        archive.writestr(f"{read_me}.txt", "\n".join([
            document["title"], _("Made at: %(at)s") % {"at": f"{timezone.localtime(now):%Y-%m-%d %H:%M}"}, "",
            _("The workbook has one sheet for each kind of record Linli keeps of you; the JSON file holds the same for programs. "
              "Photos you sent are in the photos folder."), "",
            *(_("%(what)s: %(n)s") % {"what": s.title, "n": len(s.rows)} for s in sections)]))
        for name, stored in personal_data_files(user=actor):
            try:
                with stored.open("rb") as handle:
                    archive.writestr(f"{photos}/{name}", handle.read())
            except OSError:  # a file gone from the store is left out, not a failed copy
                continue
    with transaction.atomic():
        audit_record(actor=actor, action="privacy.data.downloaded", target=actor, division=user_home_division(user=actor),
                     changes={"records": sum(len(s.rows) for s in sections)})
    return f"{str(settings.LINLI_SITE_NAME)}_{mine}_{stamp}.zip", out.getvalue()


@transaction.atomic
def account_close(*, actor, password: str, now: datetime | None = None) -> dict[str, int]:
    """A resident closes their own account, confirming with their password. Returns how many rows each
    module erased or anonymised (as recorded in the trail)."""
    now = now or timezone.now()
    if not may_close_account(actor):
        raise PermissionDenied(_("Accounts that hold a role at a community, street, bureau, organisation or fund committee are "
                                 "stopped by whoever manages them."))
    if not password or not actor.check_password(password):
        message = _("The password is not right.")
        raise ValidationFailed(message, fields={"password": [message]}, code="wrong_password")
    User = get_user_model()
    actor = User.objects.select_for_update().get(pk=actor.pk)
    division = user_home_division(user=actor)
    if actor.phone:
        PhoneVerification.objects.filter(phone=actor.phone).delete()
    # Who they were goes first, so the trail of the cancellations below names nobody.
    with translation.override(settings.LANGUAGE_CODE):
        closed_name = _("closed account")
    actor.username = f"{CLOSED_PREFIX}{actor.pk}"
    actor.display_name, actor.first_name, actor.last_name, actor.email = closed_name, "", "", ""
    actor.phone, actor.phone_verified_at = None, None
    actor.save(update_fields=["username", "display_name", "first_name", "last_name", "email", "phone", "phone_verified_at"])
    counts = {}
    for source in personal_data_sources():
        if source.erase is not None:
            counts[source.key] = source.erase(actor, now)
    counts["roles_revoked"] = RoleAssignment.objects.active().filter(user=actor).update(revoked_at=now)
    counts["tokens_revoked"] = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=now)
    # A changed password hash ends every session (Django checks it on each request); inactive, it cannot sign in.
    actor.is_active = actor.is_staff = False
    actor.set_unusable_password()
    actor.save(update_fields=["is_active", "is_staff", "password"])
    forget_roles(actor)
    audit_record(actor=actor, action="privacy.account.closed", target=actor, division=division,
                 changes={k: v for k, v in counts.items() if v}, note="个人信息保护法 第四十七条")
    return counts

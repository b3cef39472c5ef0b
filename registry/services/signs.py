"""Signs and plaques at community sites (挂牌) and the clean-ups that take the redundant ones down [Huli].

Whether a sign is allowed is the city's list (the ``allowed_signs`` rule of its pack): a sign is
judged when it is recorded, and every sign of an area again when a clean-up of the area starts, so
the campaign works from the list in force. A sign is taken down with a photo that shows it gone;
without one nothing is written.
"""

from datetime import date
from fnmatch import fnmatchcase

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, diff, snapshot
from core.errors import Conflict, ValidationFailed
from core.uploads import photo_from_upload
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from rulepack.selectors import rules_for

from ..models import Sign, SignCleanup, Site

SIGN_FIELDS = ["text", "department", "department_name", "hung_on"]


def allowed_sign_names(division: Division) -> list[str]:
    """The names (with ``*`` for any text) of the signs the city allows; empty when its pack has no list."""
    return [name for found in rules_for(division=division, module="registry", kind="allowed_signs")
            for name in found.params.get("names", [])]


def sign_allowed(*, text: str, names: list[str]) -> bool:
    """Is a sign reading ``text`` on the list? A city without a list calls no sign redundant."""
    if not names:
        return True
    text = "".join(text.split())
    return any(fnmatchcase(text, "".join(name.split())) for name in names)


def _check_sign(*, site: Site, text: str, department: Organisation | None, hung_on: date | None, today: date) -> dict:
    fields: dict[str, list] = {}
    if not text.strip():
        fields["text"] = [_("Write the text of the sign.")]
    if department is not None and department.kind != OrganisationKind.DEPARTMENT:
        fields["department"] = [_("Choose a government department (or write who issued the sign).")]
    if hung_on is not None and hung_on > today:
        fields["hung_on"] = [_("A sign cannot be hung in the future.")]
    if site.closed_on is not None:
        fields["site"] = [_("%(site)s is out of use.") % {"site": site.name}]
    return fields


@transaction.atomic
def sign_record(*, actor, site: Site, text: str, department: Organisation | None = None, department_name: str = "",
                hung_on: date | None = None, photo: UploadedFile | None = None, today: date | None = None) -> Sign:
    today = today or timezone.localdate()
    text = " ".join(text.split())
    fields = _check_sign(site=site, text=text, department=department, hung_on=hung_on, today=today)
    if fields:
        raise ValidationFailed(fields=fields)
    hung = Sign.objects.filter(site=site, removed_on__isnull=True).values_list("text", flat=True)
    if "".join(text.split()) in {"".join(t.split()) for t in hung}:
        raise Conflict(_("%(site)s already has the sign %(text)s.") % {"site": site.name, "text": text},
                       fields={"text": [_("Already recorded.")]})
    sign = Sign(site=site, text=text, department=department, department_name="" if department else department_name.strip()[:120],
                hung_on=hung_on, allowed=sign_allowed(text=text, names=allowed_sign_names(site.division)))
    if photo is not None:
        clean = photo_from_upload(photo, field="photo")
        sign.photo.save(clean.name, clean, save=False)
    sign.save()
    audit_record(actor=actor, action="registry.sign.recorded", target=sign, division=site.division,
                 changes={**snapshot(sign, SIGN_FIELDS), "allowed": sign.allowed})
    return sign


@transaction.atomic
def sign_update(*, actor, sign: Sign, data: dict, today: date | None = None) -> Sign:
    """Correct a hung sign's text, issuer or date (a removed one is history and stays as it was)."""
    sign = Sign.objects.select_for_update(of=("self",)).select_related("site__division").get(pk=sign.pk)
    if sign.removed_on is not None:
        raise Conflict(_("This sign was removed on %(date)s; it cannot be changed.") % {"date": sign.removed_on})
    unknown = set(data) - set(SIGN_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be set here.")] for name in unknown})
    before = snapshot(sign, SIGN_FIELDS)
    for name, value in data.items():
        setattr(sign, name, " ".join(value.split()) if name == "text" else value)
    if sign.department_id:
        sign.department_name = ""
    fields = _check_sign(site=sign.site, text=sign.text, department=sign.department, hung_on=sign.hung_on,
                         today=today or timezone.localdate())
    if fields:
        raise ValidationFailed(fields=fields)
    changes = diff(before, snapshot(sign, SIGN_FIELDS))
    if changes:
        sign.allowed = sign_allowed(text=sign.text, names=allowed_sign_names(sign.site.division))
        sign.save()
        audit_record(actor=actor, action="registry.sign.updated", target=sign, division=sign.site.division, changes=changes)
    return sign


def _open_cleanup_over(site: Site) -> SignCleanup | None:
    """The open clean-up whose area holds the site (the nearest one: a street's before its district's)."""
    cleanups = [c for c in SignCleanup.objects.filter(closed_on__isnull=True).select_related("division")
                if site.division.path.startswith(c.division.path)]
    return max(cleanups, key=lambda c: len(c.division.path), default=None)


@transaction.atomic
def sign_remove(*, actor, sign: Sign, photo: UploadedFile | None, removed_on: date | None = None, note: str = "",
                today: date | None = None) -> Sign:
    """Take a sign down: with the photo that shows it gone, the day and who; counted in the open clean-up
    of its area, if there is one."""
    today = today or timezone.localdate()
    removed_on = removed_on or today
    sign = Sign.objects.select_for_update(of=("self",)).select_related("site__division").get(pk=sign.pk)
    if sign.removed_on is not None:
        raise Conflict(_("This sign was already removed on %(date)s.") % {"date": sign.removed_on})
    if photo is None:
        raise ValidationFailed(fields={"photo": [_("A sign is removed with a photo that shows it taken down.")]})
    if removed_on > today:
        raise ValidationFailed(fields={"removed_on": [_("A removal cannot be dated in the future.")]})
    if sign.hung_on and removed_on < sign.hung_on:
        raise ValidationFailed(fields={"removed_on": [_("A sign cannot be removed before it was hung.")]})
    clean = photo_from_upload(photo, field="photo")
    sign.removal_photo.save(clean.name, clean, save=False)
    sign.removed_on, sign.removed_by, sign.removal_note = removed_on, actor, note.strip()[:200]
    sign.cleanup = _open_cleanup_over(sign.site)
    sign.save()
    audit_record(actor=actor, action="registry.sign.removed", target=sign, division=sign.site.division,
                 changes={"removed_on": removed_on, "allowed": sign.allowed, "cleanup": sign.cleanup_id}, note=note.strip())
    return sign


def signs_reclassify(*, within: Division) -> int:
    """Judge every hung sign under ``within`` against its city's list in force; how many are redundant."""
    names = allowed_sign_names(within)
    signs = Sign.objects.filter(site__division__path__under=within.path, removed_on__isnull=True)
    changed = [s for s in signs.only("pk", "text", "allowed") if s.allowed != sign_allowed(text=s.text, names=names)]
    for sign in changed:
        sign.allowed = not sign.allowed
    Sign.objects.bulk_update(changed, ["allowed"], batch_size=500)
    return signs.filter(allowed=False).count()


@transaction.atomic
def sign_cleanup_start(*, actor, division: Division, title: str, note: str = "", today: date | None = None) -> SignCleanup:
    """A street or district starts taking down the signs that are not on the city's list."""
    if division.level not in (DivisionLevel.STREET, DivisionLevel.DISTRICT):
        raise ValidationFailed(fields={"division": [_("A clean-up is run by a street or a district.")]})
    if not title.strip():
        raise ValidationFailed(fields={"title": [_("Give the clean-up a title.")]})
    if SignCleanup.objects.filter(division=division, closed_on__isnull=True).exists():
        raise Conflict(_("%(place)s already has a clean-up under way.") % {"place": division.name})
    cleanup = SignCleanup.objects.create(division=division, title=title.strip()[:120], note=note.strip()[:200],
                                         started_on=today or timezone.localdate(), started_by=actor)
    redundant = signs_reclassify(within=division)
    audit_record(actor=actor, action="registry.sign_cleanup.started", target=cleanup, division=division,
                 changes={"title": cleanup.title, "redundant": redundant})
    return cleanup


@transaction.atomic
def sign_cleanup_close(*, actor, cleanup: SignCleanup, today: date | None = None) -> SignCleanup:
    cleanup = SignCleanup.objects.select_for_update(of=("self",)).select_related("division").get(pk=cleanup.pk)
    if cleanup.closed_on is not None:
        raise Conflict(_("This clean-up is already closed."))
    cleanup.closed_on = today or timezone.localdate()
    cleanup.save(update_fields=["closed_on"])
    remaining = Sign.objects.filter(site__division__path__under=cleanup.division.path, removed_on__isnull=True,
                                    allowed=False).count()
    audit_record(actor=actor, action="registry.sign_cleanup.closed", target=cleanup, division=cleanup.division,
                 changes={"removed": cleanup.removed_signs.count(), "remaining": remaining})
    return cleanup

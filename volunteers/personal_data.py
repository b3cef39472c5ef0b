"""What the volunteers module keeps of a resident (``core.privacy``): their sign-up (name, mobile number,
ID number, skills, consent to the agreement), applications and service hours.

Closing an account: the sign-up is anonymised and withdrawn (name, numbers, skills and times
cleared), applications still open are withdrawn, building-head and grid-volunteer roles end; the
confirmed hours stay in the community's totals and the time bank's record, under no name."""

from django.utils.translation import gettext_lazy as _

from core.privacy import local_text, personal_data_source

from .forms import AVAILABILITY
from .models import (
    Application,
    ApplicationStatus,
    GridRole,
    RecordStatus,
    ServiceRecord,
    Volunteer,
    VolunteerStatus,
)


def _volunteer(user):
    volunteer = Volunteer.objects.filter(user=user).select_related("community").first()
    columns = [_("Community"), _("Real name"), _("Mobile number"), _("ID number"), _("Skills"), _("Available"),
               _("Volunteer agreement version"), _("Agreed to the volunteer agreement at"), _("Status"), _("Confirmed service hours")]
    if volunteer is None:
        return columns, []
    times = dict(AVAILABILITY)
    return columns, [[volunteer.community.name, volunteer.real_name, volunteer.phone, volunteer.id_number, volunteer.skill_labels,
                      "、".join(str(times.get(t, t)) for t in volunteer.availability), volunteer.agreement_version, local_text(volunteer.consented_at),
                      volunteer.get_status_display(), volunteer.hours]]


def _hours(user):
    records = ServiceRecord.objects.filter(volunteer__user=user).select_related("opportunity", "community").order_by("signed_in_at")
    applications = Application.objects.filter(volunteer__user=user).select_related("opportunity").order_by("applied_at")
    rows = [[a.opportunity.title, _("application"), local_text(a.applied_at), "", "", a.get_status_display()] for a in applications]
    rows += [[r.opportunity.title, _("service"), local_text(r.signed_in_at), local_text(r.signed_out_at), r.minutes or "",
              r.get_status_display()] for r in records]
    return [_("Volunteer opportunity"), _("What"), _("Starts"), _("Ends at"), _("Minutes"), _("Status")], rows


def _erase(user, now) -> int:
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is None:
        return 0
    touched = Application.objects.filter(volunteer=volunteer, status=ApplicationStatus.APPLIED).update(
        status=ApplicationStatus.WITHDRAWN, decided_at=now)
    touched += GridRole.objects.filter(volunteer=volunteer).delete()[0]
    # A record still open (signed in, never out) ends unconfirmed: nobody will sign out for this account.
    touched += ServiceRecord.objects.filter(volunteer=volunteer, status=RecordStatus.OPEN).update(
        status=RecordStatus.REJECTED, signed_out_at=now, note=str(_("Account closed.")))
    volunteer.real_name, volunteer.phone, volunteer.id_number = str(_("account closed")), "", ""
    volunteer.skills, volunteer.availability, volunteer.status = [], [], VolunteerStatus.WITHDRAWN
    volunteer.save(update_fields=["real_name", "phone", "id_number", "skills", "availability", "status"])
    return touched + 1


personal_data_source("volunteers.volunteer", _("My volunteer sign-up"), collect=_volunteer, erase=_erase, order=70)
personal_data_source("volunteers.hours", _("My volunteer applications and hours"), collect=_hours, order=71)

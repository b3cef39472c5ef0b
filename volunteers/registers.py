"""Excel register of volunteer hours (志愿服务时长): the confirmed records in the columns volunteer
platforms (志愿汇, 中国志愿服务网) commonly import — name, ID number (masked), mobile number, date,
start and end, hours, project, organisation, who confirmed. Export only: hours are recorded by
signing in and out and confirmed by the organiser, never typed in. Names and numbers are masked by
``core.privacy`` for those who do not organise the service (``mask_id_number`` always)."""

__all__ = ["HOURS_COLUMNS", "export_hours", "mask_id_number"]

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.privacy import (
    ID_NUMBER,
    NAME,
    PHONE,
    fresh_viewer,
    mask_id_number,
    personal_data_exported,
)
from excel.registers import Column, Register, parse_text, register
from org.selectors import division_get
from registry.registers import check_within

from .models import RecordStatus
from .selectors import record_list

HOURS_COLUMNS = [
    Column("name", pgettext_lazy("person", "Name"), parse_text, width=10),
    Column("id_number", _("ID number"), parse_text, width=22),
    Column("phone", _("Mobile number"), parse_text, width=14),
    Column("date", _("Service date"), parse_text, width=12),
    Column("start", _("Start time"), parse_text, width=8),
    Column("end", _("End time"), parse_text, width=8),
    Column("hours", _("Service hours"), parse_text, width=10),
    Column("project", _("Service project"), parse_text, width=28),
    Column("organisation", _("Service organisation"), parse_text, width=22),
    Column("confirmed_by", _("Confirmed by"), parse_text, width=10),
]


def export_hours(*, user, params: dict):
    within = division_get(user=user, code=params["within"]) if params.get("within") else None
    records = record_list(user=user, within=within, status=RecordStatus.CONFIRMED).select_related(
        "opportunity__community").order_by("signed_in_at", "id")
    viewer = fresh_viewer(user)

    def rows():
        shown = 0
        for r in records.iterator(chunk_size=2000):
            start, end = timezone.localtime(r.signed_in_at), timezone.localtime(r.signed_out_at)
            organisation = r.opportunity.organiser.name if r.opportunity.organiser_id else r.opportunity.community.name
            confirmer = r.confirmed_by.display_name or r.confirmed_by.username if r.confirmed_by_id else ""
            # Name and mobile whole for the organising community's workers (the name for the organising operator);
            # the ID number always masked (core.privacy).
            where = {"division": r.opportunity.community_id, "organisation": r.opportunity.organiser_id, "owner": r.volunteer.user_id}
            before = viewer.revealed
            name, phone = viewer.show(r.volunteer.real_name, NAME, **where), viewer.show(r.volunteer.phone, PHONE, **where)
            shown += viewer.revealed > before
            yield [name, viewer.show(r.volunteer.id_number, ID_NUMBER, **where), phone, start.strftime("%Y-%m-%d"),
                   start.strftime("%H:%M"), end.strftime("%H:%M"), f"{r.hours:.2f}", r.opportunity.title, organisation, confirmer]
        personal_data_exported(user=user, register="volunteers.hours", division=within, people=shown)

    return records.count(), rows()


register(Register(name="volunteers.hours", title=_("Volunteer service hours"), permission="volunteers.export_hours",
                  columns=HOURS_COLUMNS, export_rows=export_hours, check_params=check_within))

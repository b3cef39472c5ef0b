"""Pages of supervision: the indicators of a division against their targets, and one indicator's
units ranked with its trend (both drill down the tree and export to Excel); the notices drafted
from them, published to the units that lag and answered by them."""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.permissions import get_for_user, holds_any
from core.errors import NotFound, ValidationFailed
from core.measures import Month
from org.models import LEVEL_ORDER, DivisionLevel
from org.selectors import division_get, user_home_division

from . import selectors, services
from .models import NoticeStatus
from .templatetags.supervision_tags import figure_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _division(request, code: str):
    if not holds_any(request.user, "supervision.view_indicators"):
        raise NotFound()
    division = division_get(user=request.user, code=code)
    if not request.user.has_perm("supervision.view_indicators", division):
        raise NotFound()
    return division


def _month(request, division) -> tuple[Month, list[Month]]:
    taken = selectors.months_taken(division=division)
    asked = Month.parse(request.GET.get("month", ""))
    month = asked if asked in taken else selectors.latest_month(division=division)
    return month, taken


def _breadcrumbs(division) -> list:
    line, node = [], division
    while node is not None:
        line.append(node)
        node = node.parent
    return list(reversed(line))


def _met_text(meets) -> str:
    return "" if meets is None else (_("met") if meets else _("below target"))


def _xlsx(name: str, title: str, header: list[str], rows: list[list]) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Indicators")[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        sheet.column_dimensions[column[1].column_letter].width = 18
    stream = BytesIO()
    book.save(stream)
    response = HttpResponse(stream.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@login_required
def home(request):
    home_division = user_home_division(user=request.user)
    if home_division is None or not holds_any(request.user, "supervision.view_indicators"):
        raise NotFound()
    return redirect("supervision:board", code=home_division.code)


@login_required
def board(request, code: str):
    division = _division(request, code)
    month, taken = _month(request, division)
    rows = selectors.board(user=request.user, division=division, month=month)
    if request.GET.get("format") == "xlsx":
        return _xlsx(f"linli-indicators-{division.code}-{month}", _("Indicators of %(division)s, %(month)s") % {
            "division": division.name, "month": month},
            [_("indicator"), _("figure"), _("target"), _("to be met by"), _("status"), _("last month"),
             _("units below target"), _("source document")],
            [[row.indicator.title, figure_text(row.value, row.indicator.unit), figure_text(row.indicator.target, row.indicator.unit),
              row.indicator.due.isoformat() if row.indicator.due else "", _met_text(row.meets),
              figure_text(row.previous, row.indicator.unit), f"{row.units_below}/{row.units_judged}" if row.units_judged else "",
              row.indicator.source_short] for row in rows])
    return render(request, "supervision/board.html", {
        "division": division, "month": month, "months": taken, "rows": rows, "breadcrumbs": _breadcrumbs(division),
        "final": all(row.figure.final for row in rows if row.figure.counted) and any(row.figure.counted for row in rows),
        "below": sum(1 for row in rows if row.meets is False),
    })


@login_required
def indicator(request, code: str, indicator_key: str):
    division = _division(request, code)
    month, taken = _month(request, division)
    found = selectors.indicator_get(division=division, key=indicator_key)
    units = selectors.ranking(user=request.user, division=division, indicator=found, month=month)
    if request.GET.get("format") == "xlsx":
        return _xlsx(f"linli-indicator-{division.code}-{month}", f"{found.title} · {division.name} · {month}",
                     [_("division"), _("code"), _("figure"), _("target"), _("status"), _("divisions counted")],
                     [[u.division.name, u.division.code, figure_text(u.value, found.unit), figure_text(found.target, found.unit),
                       _met_text(u.meets), u.figure.counted] for u in units])
    history = selectors.trend(division=division, indicator=found, until=month)
    records = found.measure.records(division, month) if found.measure.records else None
    return render(request, "supervision/indicator.html", {
        "division": division, "month": month, "months": taken, "indicator": found, "units": units,
        "breadcrumbs": _breadcrumbs(division), "records": records,
        "figure": next((value for m, value in history if m == month), None),
        "chart": {"labels": [str(m) for m, _value in history],
                  "values": [float(v * 100 if found.unit == "share" else v) if v is not None else None for _m, v in history],
                  "target": float(found.target * 100 if found.unit == "share" else found.target),
                  "suffix": "%" if found.unit == "share" else ""},
        "deeper": division.level not in (DivisionLevel.COMMUNITY, DivisionLevel.GRID),
    })


# Notices (通报) ------------------------------------------------------------------------------------

@login_required
def notice_list(request):
    if not holds_any(request.user, "supervision.view_notice"):
        raise NotFound()
    status = request.GET.get("status") if request.GET.get("status") in NoticeStatus.values else None
    notices = selectors.notice_list(user=request.user, status=status)
    home_division = user_home_division(user=request.user)
    may_draft = home_division is not None and request.user.has_perm("supervision.draft_notice", home_division)
    levels = [(level, label) for level, label in DivisionLevel.choices if level in services.NOTICE_LEVELS
              and home_division is not None and LEVEL_ORDER.index(level) > LEVEL_ORDER.index(home_division.level)]
    return render(request, "supervision/notice_list.html", {
        "page": Paginator(notices, 30).get_page(request.GET.get("page")), "status": status, "statuses": NoticeStatus.choices,
        "may_draft": may_draft, "home": home_division, "levels": levels,
        "months": selectors.months_taken(division=home_division) if may_draft else [],
    })


@login_required
@require_POST
def notice_draft(request):
    home_division = user_home_division(user=request.user)
    if home_division is None:
        raise NotFound()
    month = Month.parse(request.POST.get("month", ""))
    if month is None:
        raise ValidationFailed(fields={"month": [_("Choose a month.")]})
    notice = services.notice_draft(actor=request.user, issuer=home_division, month=month,
                                   unit_level=request.POST.get("unit_level", DivisionLevel.STREET))
    messages.success(request, _("The notice is drafted from the figures of %(month)s: read it, edit the wording, then publish it.")
                     % {"month": month})
    return redirect("supervision:notice", pk=notice.pk)


@login_required
def notice_detail(request, pk: int):
    notice = selectors.notice_get(user=request.user, pk=pk)
    receipts = selectors.notice_receipts(user=request.user, notice=notice)
    may_edit = notice.status == NoticeStatus.DRAFT and request.user.has_perm("supervision.draft_notice", notice.issuer)
    return render(request, "supervision/notice_detail.html", {
        "notice": notice, "groups": selectors.notice_entries(notice=notice), "receipts": receipts, "may_edit": may_edit,
        "mine": [r for r in receipts if r.responded_at is None and request.user.has_perm("supervision.respond_notice", r.division)],
    })


@login_required
@require_POST
def notice_edit(request, pk: int):
    notice = selectors.notice_get(user=request.user, pk=pk)
    services.notice_update(actor=request.user, notice=notice, title=request.POST.get("title", ""), body=request.POST.get("body", ""))
    messages.success(request, _("The wording is saved."))
    return redirect("supervision:notice", pk=notice.pk)


@login_required
@require_POST
def notice_publish(request, pk: int):
    notice = selectors.notice_get(user=request.user, pk=pk)
    services.notice_publish(actor=request.user, notice=notice)
    messages.success(request, _("The notice is published to the units it names."))
    return redirect("supervision:notice", pk=notice.pk)


@login_required
@require_POST
def notice_respond(request, pk: int, receipt_id: int):
    notice = selectors.notice_get(user=request.user, pk=pk)
    receipt = get_for_user(request.user, "supervision.view_noticereceipt", notice.receipts.all(), pk=receipt_id)
    services.notice_respond(actor=request.user, receipt=receipt, response=request.POST.get("response", ""))
    messages.success(request, _("Your answer is sent to the bureau."))
    return redirect("supervision:notice", pk=notice.pk)


def notices_card(user) -> dict | None:
    """The home page: notices naming one's unit that wait for its answer; for the bureau, its drafts."""
    waiting = list(selectors.receipts_waiting(user=user)[:5]) if holds_any(user, "supervision.respond_notice") else []
    drafts = (selectors.notice_list(user=user, status=NoticeStatus.DRAFT).count()
              if holds_any(user, "supervision.draft_notice") else 0)
    if not waiting and not drafts:
        return None
    return {"waiting": waiting, "drafts": drafts}

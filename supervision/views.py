"""Pages of supervision: the indicators of a division against their targets, and one indicator's
units ranked with its trend (both drill down the tree, export to Excel, and print as the monthly
report); the notices drafted from them; rectification items and the plans of communities; the
yearly assessment; double random inspections and their checklists."""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.permissions import get_for_user, holds_any
from accounts.selectors import person_get
from core.errors import NotFound, ValidationFailed
from core.measures import Month
from core.replica import replica_reads
from core.uploads import serve_upload
from org.models import LEVEL_ORDER, DivisionLevel
from org.selectors import division_get, division_picked, user_home_division

from . import selectors, services
from .forms import (
    MILESTONE_ROWS,
    AnswerForm,
    ManualItemForm,
    PlanForm,
    RectificationForm,
    VerifyForm,
)
from .models import AssessmentStatus, NoticeStatus, PlanStatus, RectificationStatus
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


def _breadcrumbs(user, division) -> list[tuple]:
    """The divisions from the city down to ``division``, each with whether ``user`` may open it (a
    district's supervisor reads the city's name but does not open its page)."""
    line, node = [], division
    while node is not None:
        line.append((node, user.has_perm("supervision.view_indicators", node)))
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
@replica_reads
def board(request, code: str):
    division = _division(request, code)
    month, taken = _month(request, division)
    rows = selectors.board(user=request.user, division=division, month=month)
    if request.GET.get("format") == "xlsx":
        return _xlsx(f"linli-indicators-{division.code}-{month}", _("Indicators of %(division)s, %(month)s") % {
            "division": division.name, "month": month.words()},
            [_("indicator"), _("figure"), _("target"), _("to be met by"), _("status"), _("last month"),
             _("units below target"), _("source document")],
            [[row.indicator.title, figure_text(row.value, row.indicator.unit), figure_text(row.indicator.target, row.indicator.unit),
              row.indicator.due.isoformat() if row.indicator.due else "", _met_text(row.meets),
              figure_text(row.previous, row.indicator.unit), f"{row.units_below}/{row.units_judged}" if row.units_judged else "",
              row.indicator.source_short] for row in rows])
    return render(request, "supervision/board.html", {
        "division": division, "month": month, "months": taken, "rows": rows, "breadcrumbs": _breadcrumbs(request.user, division),
        "final": all(row.figure.final for row in rows if row.figure.counted) and any(row.figure.counted for row in rows),
        "below": sum(1 for row in rows if row.meets is False),
    })


@login_required
@replica_reads
def report_pdf(request, code: str):
    """The division's monthly report as a PDF, with its charts."""
    from .report import monthly_report

    division = _division(request, code)
    month, _taken = _month(request, division)
    response = HttpResponse(monthly_report(user=request.user, division=division, month=month), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="linli-report-{division.code}-{month}.pdf"'
    return response


@login_required
@replica_reads
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
        "breadcrumbs": _breadcrumbs(request.user, division), "records": records,
        "figure": next((value for m, value in history if m == month), None),
        "chart": {"labels": [str(m) for m, _value in history],
                  "values": [float(v * 100 if found.unit == "share" else v) if v is not None else None for _m, v in history],
                  "target": float(found.target * 100 if found.unit == "share" else found.target),
                  "suffix": "%" if found.unit == "share" else ""},
        "deeper": division.level not in (DivisionLevel.COMMUNITY, DivisionLevel.GRID),
        "may_plan": (division.level == DivisionLevel.COMMUNITY and found.measure.module == "registry"
                     and request.user.has_perm("supervision.add_plan", division)),
    })


# Notices (通报) ------------------------------------------------------------------------------------

@login_required
@replica_reads
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
    messages.info(request, _("The notice is being drafted from the figures of %(month)s: when it is ready, read it, edit the "
                             "wording, then publish it.") % {"month": month.words()})
    return redirect("supervision:notice", notice_id=notice.pk)


@login_required
@require_POST
def notice_draft_again(request, notice_id: int):
    notice = selectors.notice_get(user=request.user, pk=notice_id)
    services.notice_draft_again(actor=request.user, notice=notice)
    messages.info(request, _("The notice is being drafted again."))
    return redirect("supervision:notice", notice_id=notice.pk)


@login_required
def notice_detail(request, notice_id: int):
    notice = selectors.notice_get(user=request.user, pk=notice_id)
    if request.htmx or not notice.computed:  # queued, being drafted, or failed: its progress (polled), or why it failed
        context = {"notice": notice, "job": notice,
                   "may_draft": request.user.has_perm("supervision.draft_notice", notice.issuer)}
        return render(request, "supervision/partials/job_status.html" if request.htmx else "supervision/notice_detail.html",
                      context)
    receipts = selectors.notice_receipts(user=request.user, notice=notice)
    may_edit = notice.status == NoticeStatus.DRAFT and request.user.has_perm("supervision.draft_notice", notice.issuer)
    return render(request, "supervision/notice_detail.html", {
        "notice": notice, "groups": selectors.notice_entries(notice=notice), "receipts": receipts, "may_edit": may_edit,
        "mine": [r for r in receipts if r.responded_at is None and request.user.has_perm("supervision.respond_notice", r.division)],
        "may_rectify": notice.status == NoticeStatus.PUBLISHED and request.user.has_perm("supervision.open_rectification", notice.issuer),
    })


@login_required
@require_POST
def notice_edit(request, notice_id: int):
    notice = selectors.notice_get(user=request.user, pk=notice_id)
    services.notice_update(actor=request.user, notice=notice, title=request.POST.get("title", ""), body=request.POST.get("body", ""))
    messages.success(request, _("The wording is saved."))
    return redirect("supervision:notice", notice_id=notice.pk)


@login_required
@require_POST
def notice_publish(request, notice_id: int):
    notice = selectors.notice_get(user=request.user, pk=notice_id)
    services.notice_publish(actor=request.user, notice=notice)
    messages.success(request, _("The notice is published to the units it names."))
    return redirect("supervision:notice", notice_id=notice.pk)


@login_required
@require_POST
def notice_respond(request, notice_id: int, receipt_id: int):
    notice = selectors.notice_get(user=request.user, pk=notice_id)
    receipt = get_for_user(request.user, "supervision.view_noticereceipt", notice.receipts.all(), pk=receipt_id)
    services.notice_respond(actor=request.user, receipt=receipt, response=request.POST.get("response", ""))
    messages.success(request, _("Your answer is sent to the bureau."))
    return redirect("supervision:notice", notice_id=notice.pk)


def notices_card(user) -> dict | None:
    """The home page: notices naming one's unit that wait for its answer; for the bureau, its drafts."""
    waiting = list(selectors.receipts_waiting(user=user)[:5]) if holds_any(user, "supervision.respond_notice") else []
    drafts = (selectors.notice_list(user=user, status=NoticeStatus.DRAFT).count()
              if holds_any(user, "supervision.draft_notice") else 0)
    if not waiting and not drafts:
        return None
    return {"waiting": waiting, "drafts": drafts}


# Rectification (整改) and one community, one plan --------------------------------------------------

@login_required
@replica_reads
def rectification_list(request):
    if not holds_any(request.user, "supervision.view_rectification"):
        raise NotFound()
    status = request.GET.get("status") if request.GET.get("status") in RectificationStatus.values else None
    overdue = request.GET.get("overdue") == "1"
    items = selectors.rectification_list(user=request.user, status=status, overdue=overdue)
    return render(request, "supervision/rectification_list.html", {
        "page": Paginator(items, 30).get_page(request.GET.get("page")), "status": status, "overdue": overdue,
        "statuses": RectificationStatus.choices, "today": timezone.localdate(),
        "may_open": holds_any(request.user, "supervision.open_rectification"),
    })


@login_required
def rectification_new(request):
    if not holds_any(request.user, "supervision.open_rectification"):
        raise NotFound()
    form = RectificationForm(request.POST or None, initial={
        "source": request.GET.get("source", "standard"), "source_text": request.GET.get("finding", ""),
        "division": request.GET.get("division", "")})
    if request.method == "POST" and form.is_valid():
        division = division_picked(user=request.user, code=form.cleaned_data["division"], field="division")
        owner = person_get(user=request.user, pk=form.cleaned_data["owner"])
        notice = None
        if request.GET.get("notice"):
            notice = selectors.notice_get(user=request.user, pk=int(request.GET["notice"]))
        item = services.rectification_open(actor=request.user, division=division, source=form.cleaned_data["source"],
                                           source_text=form.cleaned_data["source_text"], title=form.cleaned_data["title"],
                                           owner=owner, deadline=form.cleaned_data["deadline"], notice=notice)
        messages.success(request, _("The item is opened and its person responsible is told."))
        return redirect("supervision:rectification", rectification_id=item.pk)
    return render(request, "supervision/rectification_form.html", {"form": form})


@login_required
def rectification_detail(request, rectification_id: int):
    item = selectors.rectification_get(user=request.user, pk=rectification_id)
    user = request.user
    may_answer = item.status == RectificationStatus.OPEN and (
        item.owner_id == user.pk or user.has_perm("supervision.answer_rectification", item.division))
    may_verify = (item.status == RectificationStatus.ANSWERED and item.division.parent is not None and item.owner_id != user.pk
                  and user.has_perm("supervision.verify_rectification", item.division.parent))
    if request.method == "POST":
        if request.POST.get("action") == "answer" and may_answer:
            form = AnswerForm(request.POST, request.FILES)
            if form.is_valid():
                services.rectification_answer(actor=user, item=item, response=form.cleaned_data["response"],
                                              evidence=form.cleaned_data["evidence"])
                messages.success(request, _("Your answer is sent for verification."))
                return redirect("supervision:rectification", rectification_id=item.pk)
        elif request.POST.get("action") == "verify" and may_verify:
            form = VerifyForm(request.POST)
            if form.is_valid():
                services.rectification_verify(actor=user, item=item, accepted=form.cleaned_data["accepted"],
                                              note=form.cleaned_data["verification"])
                messages.success(request, _("The verification is recorded."))
                return redirect("supervision:rectification", rectification_id=item.pk)
        else:
            raise NotFound()
    return render(request, "supervision/rectification_detail.html", {
        "item": item, "today": timezone.localdate(),
        "answer_form": AnswerForm() if may_answer else None, "verify_form": VerifyForm() if may_verify else None,
    })


@login_required
def rectification_evidence(request, rectification_id: int):
    item = selectors.rectification_get(user=request.user, pk=rectification_id)
    if not item.evidence:
        raise NotFound()
    return serve_upload(item.evidence, download_name=f"整改佐证-{item.pk}")


@login_required
@replica_reads
def plan_list(request):
    if not holds_any(request.user, "supervision.view_plan"):
        raise NotFound()
    status = request.GET.get("status") if request.GET.get("status") in PlanStatus.values else None
    return render(request, "supervision/plan_list.html", {
        "page": Paginator(selectors.plan_list(user=request.user, status=status), 30).get_page(request.GET.get("page")),
        "status": status, "statuses": PlanStatus.choices, "today": timezone.localdate(),
        "may_add": holds_any(request.user, "supervision.add_plan"),
    })


@login_required
def plan_new(request):
    home_division = user_home_division(user=request.user)
    if home_division is None or not holds_any(request.user, "supervision.add_plan"):
        raise NotFound()
    form = PlanForm(request.POST or None, standards=selectors.plan_standards(division=home_division),
                    initial={"community": request.GET.get("community", ""), "rule_key": request.GET.get("standard", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = division_picked(user=request.user, code=data["community"], field="community", levels=(DivisionLevel.COMMUNITY,))
        milestones = [{"title": data[f"m{n}_title"], "owner": person_get(user=request.user, pk=data[f"m{n}_owner"]),
                       "due": data[f"m{n}_due"]}
                      for n in range(1, MILESTONE_ROWS + 1) if data.get(f"m{n}_title")]
        plan = services.plan_create(actor=request.user, community=community, rule_key=data["rule_key"],
                                    measures=data["measures"], milestones=milestones)
        messages.success(request, _("The plan is drawn up."))
        return redirect("supervision:plan", plan_id=plan.pk)
    return render(request, "supervision/plan_form.html", {"form": form})


@login_required
def plan_detail(request, plan_id: int):
    plan = selectors.plan_get(user=request.user, pk=plan_id)
    user = request.user
    may_change = plan.status == PlanStatus.OPEN and user.has_perm("supervision.add_plan", plan.community)
    if request.method == "POST":
        if request.POST.get("action") == "close" and may_change:
            services.plan_close(actor=user, plan=plan)
            messages.success(request, _("The standard is met in the register: the plan is closed."))
        elif request.POST.get("action") == "done":
            milestone = get_object_or_404(plan.milestones, pk=request.POST.get("milestone"))
            services.milestone_done(actor=user, milestone=milestone)
            messages.success(request, _("The milestone is marked done."))
        else:
            raise NotFound()
        return redirect("supervision:plan", plan_id=plan.pk)
    result = services.rule_result(plan.community, plan.rule_key)
    return render(request, "supervision/plan_detail.html", {
        "plan": plan, "milestones": list(plan.milestones.select_related("owner")), "today": timezone.localdate(),
        "result": result, "may_change": may_change,
    })


# The yearly assessment (目标责任制考核) ------------------------------------------------------------

@login_required
@replica_reads
def assessment_list(request):
    if not holds_any(request.user, "supervision.view_assessment"):
        raise NotFound()
    home_division = user_home_division(user=request.user)
    may_assess = home_division is not None and request.user.has_perm("supervision.assess", home_division)
    if request.method == "POST" and may_assess:
        try:
            year = int(request.POST.get("year", ""))
        except ValueError:
            raise ValidationFailed(fields={"year": [_("Choose a year.")]}) from None
        assessment = services.assessment_start(actor=request.user, issuer=home_division, year=year,
                                               unit_level=request.POST.get("unit_level", DivisionLevel.STREET))
        messages.info(request, _("The units are being scored from the year's monthly figures: when it is done, add items by hand, "
                                 "then sign it off."))
        return redirect("supervision:assessment", assessment_id=assessment.pk)
    years = sorted({m.since.year for m in selectors.months_taken(division=home_division)}, reverse=True) if may_assess else []
    levels = [(level, label) for level, label in DivisionLevel.choices if level in services.ASSESSED_LEVELS
              and home_division is not None and LEVEL_ORDER.index(level) > LEVEL_ORDER.index(home_division.level)]
    return render(request, "supervision/assessment_list.html", {
        "assessments": selectors.assessment_list(user=request.user), "may_assess": may_assess, "years": years, "levels": levels,
        "home": home_division,
    })


@login_required
def assessment_detail(request, assessment_id: int):
    assessment = selectors.assessment_get(user=request.user, pk=assessment_id)
    user = request.user
    may_assess = assessment.status == AssessmentStatus.DRAFT and user.has_perm("supervision.assess", assessment.issuer)
    columns, units = selectors.assessment_results(user=user, assessment=assessment)
    form = ManualItemForm(units=[u.division for u in units]) if may_assess else None
    if request.method == "POST":
        if not may_assess:
            raise NotFound()
        action = request.POST.get("action")
        if action == "item":
            form = ManualItemForm(request.POST, request.FILES, units=[u.division for u in units])
            if form.is_valid():
                division = next(u.division for u in units if u.division.pk == form.cleaned_data["division"])
                services.manual_item_add(actor=user, assessment=assessment, division=division, title=form.cleaned_data["title"],
                                         points=form.cleaned_data["points"], evidence=form.cleaned_data["evidence"])
                messages.success(request, _("The item is added."))
                return redirect("supervision:assessment", assessment_id=assessment.pk)
        elif action == "recompute":
            services.assessment_recompute(actor=user, assessment=assessment)
            messages.info(request, _("The units are being scored again from the figures as they are now."))
            return redirect("supervision:assessment", assessment_id=assessment.pk)
        elif action == "sign":
            services.assessment_sign(actor=user, assessment=assessment)
            messages.success(request, _("The assessment is signed off: it no longer changes."))
            return redirect("supervision:assessment", assessment_id=assessment.pk)
        else:
            raise NotFound()
    if request.htmx or not assessment.computed:  # queued, being scored, or failed: its progress (polled), or why it failed
        return render(request, "supervision/partials/job_status.html" if request.htmx else "supervision/assessment_detail.html",
                      {"assessment": assessment, "job": assessment, "may_assess": may_assess})
    if request.GET.get("format") == "xlsx":
        return _xlsx(f"linli-assessment-{assessment.issuer.code}-{assessment.year}",
                     _("Yearly assessment of %(division)s, %(year)s") % {"division": assessment.issuer.name, "year": assessment.year},
                     [_("rank"), _("unit"), *[f"{title}（{figure_text(weight, 'points')}）" for _key, title, weight in columns],
                      _("items by hand"), _("total")],
                     [[u.rank, u.division.name, *[s.points if s else None for s in u.scores], u.manual, u.total] for u in units])
    items = selectors.manual_items(assessment=assessment, units=units)
    return render(request, "supervision/assessment_detail.html", {
        "assessment": assessment, "columns": columns, "units": units, "may_assess": may_assess, "form": form, "items": items,
    })


@login_required
def manual_item_evidence(request, assessment_id: int, item_id: int):
    assessment = selectors.assessment_get(user=request.user, pk=assessment_id)
    item = selectors.manual_item_get(user=request.user, assessment=assessment, pk=item_id)
    return serve_upload(item.evidence, download_name=f"考核佐证-{item.pk}")


# Double random inspections (双随机) -----------------------------------------------------------------

@login_required
@replica_reads
def campaign_list(request):
    if not holds_any(request.user, "supervision.view_inspection"):
        raise NotFound()
    home_division = user_home_division(user=request.user)
    may_draw = home_division is not None and request.user.has_perm("supervision.assess", home_division)
    if request.method == "POST":
        if not may_draw:
            raise NotFound()
        try:
            count, per = int(request.POST.get("community_count", "")), int(request.POST.get("inspectors_per_community", ""))
        except ValueError:
            raise ValidationFailed(fields={"community_count": [_("Enter whole numbers.")]}) from None
        campaign = services.campaign_draw(actor=request.user, issuer=home_division, title=request.POST.get("title", ""),
                                          community_count=count, inspectors_per_community=per, seed=request.POST.get("seed", ""))
        messages.success(request, _("Drawn with the seed %(seed)s: anyone who draws again with it gets the same list.")
                         % {"seed": campaign.seed})
        return redirect("supervision:campaign", campaign_id=campaign.pk)
    return render(request, "supervision/campaign_list.html", {
        "campaigns": Paginator(selectors.campaign_list(user=request.user), 30).get_page(request.GET.get("page")),
        "may_draw": may_draw, "home": home_division,
        "pool_size": services.default_pool(home_division).count() if may_draw else 0,
    })


@login_required
def campaign_detail(request, campaign_id: int):
    campaign = selectors.campaign_get(user=request.user, pk=campaign_id)
    inspections = selectors.campaign_inspections(user=request.user, campaign=campaign)
    bureau = request.user.has_perm("supervision.assess", campaign.issuer)
    return render(request, "supervision/campaign_detail.html", {
        "campaign": campaign, "inspections": inspections, "bureau": bureau,
        "pool": list(campaign.pool.order_by("id")) if bureau else [],
        "same": services.campaign_redraw(campaign) if bureau and request.GET.get("check") == "1" else None,
    })


@login_required
def inspection_detail(request, inspection_id: int):
    inspection = selectors.inspection_get(user=request.user, pk=inspection_id)
    items, days = services.checklist(inspection.community)
    may_fill = inspection.submitted_at is None and inspection.inspectors.filter(pk=request.user.pk).exists()
    if request.method == "POST":
        if not may_fill:
            raise NotFound()
        answers = {item["code"]: {"passed": {"yes": True, "no": False}.get(request.POST.get(f"{item['code']}-passed")),
                                  "note": request.POST.get(f"{item['code']}-note", ""),
                                  "photo": request.FILES.get(f"{item['code']}-photo")} for item in items}
        services.inspection_submit(actor=request.user, inspection=inspection, answers=answers)
        messages.success(request, _("The checklist is saved; what was found wrong is now to be rectified."))
        return redirect("supervision:inspection", inspection_id=inspection.pk)
    return render(request, "supervision/inspection_detail.html", {
        "inspection": inspection, "items": items, "days": days, "may_fill": may_fill,
        "inspectors": list(inspection.inspectors.all()),
        "findings": list(inspection.findings.select_related("rectification")),
    })


@login_required
def finding_photo(request, inspection_id: int, finding_id: int):
    inspection = selectors.inspection_get(user=request.user, pk=inspection_id)
    finding = get_object_or_404(inspection.findings.exclude(photo=""), pk=finding_id)
    return serve_upload(finding.photo)


def inspections_card(user) -> dict | None:
    """The home page of an inspector: the communities they were drawn to inspect and have not yet."""
    from .models import Inspection

    waiting = list(Inspection.objects.filter(inspectors=user, submitted_at__isnull=True, campaign__status="drawn")
                   .select_related("community__parent", "campaign").order_by("campaign__drawn_at", "order")[:5])
    return {"waiting": waiting} if waiting else None

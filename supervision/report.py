"""The monthly report of a division as a PDF in Chinese (or the reader's language): every indicator
against its target, and for each one missed the trend of the last twelve months as a chart and the
units furthest from it. Written with ReportLab and its built-in CID font STSong-Light, so no font
file is needed on the server and the PDF opens with any reader."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.measures import Month

from . import selectors
from .templatetags.supervision_tags import figure_text

FONT = "STSong-Light"
RED = colors.HexColor("#b22222")
GREY = colors.HexColor("#8a8f98")
RANKED = 10  # units listed under each indicator missed


def _styles() -> dict[str, ParagraphStyle]:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return {"title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4),
            "h2": ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4),
            "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13),
            "small": ParagraphStyle("small", fontName=FONT, fontSize=8, leading=11, textColor=GREY)}


def _table(rows: list[list], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5), ("BACKGROUND", (0, 0), (-1, 0), RED),
                               ("TEXTCOLOR", (0, 0), (-1, 0), colors.white), ("GRID", (0, 0), (-1, -1), 0.3, colors.lightgrey),
                               ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _trend_chart(history: list[tuple[Month, object]], row: selectors.BoardRow) -> Drawing:
    """The indicator's figure by month (a share in per cent) and its target as a dashed line."""
    scale = 100 if row.indicator.unit == "share" else 1
    points = [(n, float(value) * scale) for n, (_month, value) in enumerate(history) if value is not None]
    target = float(row.indicator.target) * scale
    drawing = Drawing(170 * mm, 45 * mm)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 14 * mm, 8 * mm, 150 * mm, 32 * mm
    plot.data = [points or [(0, 0)], [(0, target), (len(history) - 1, target)]]
    plot.lines[0].strokeColor, plot.lines[0].strokeWidth = RED, 1.5
    plot.lines[1].strokeColor, plot.lines[1].strokeDashArray = GREY, (3, 2)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, max(len(history) - 1, 1)
    plot.xValueAxis.valueSteps = list(range(len(history)))
    plot.xValueAxis.labelTextFormat = lambda n: f"{history[int(n)][0].since:%m}" if 0 <= int(n) < len(history) else ""
    plot.xValueAxis.labels.fontName = plot.yValueAxis.labels.fontName = FONT
    plot.xValueAxis.labels.fontSize = plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueMin = 0
    values = [value for _n, value in points] + [target]
    plot.yValueAxis.valueMax = max(values) * 1.15 if max(values) > 0 else 1
    drawing.add(plot)
    drawing.add(String(14 * mm, 42 * mm, _("By month") + ("（%）" if scale == 100 else ""), fontName=FONT, fontSize=7, fillColor=GREY))
    return drawing


def monthly_report(*, user, division, month: Month) -> bytes:
    """The division's report of ``month`` as PDF bytes (what the user may see of it, as on the pages)."""
    styles = _styles()
    rows = selectors.board(user=user, division=division, month=month)
    stream = BytesIO()
    document = SimpleDocTemplate(stream, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
                                 title=_("Monthly report of %(division)s, %(month)s") % {"division": division.name, "month": month.words()})
    story = [Paragraph(_("Monthly report of %(division)s, %(month)s") % {"division": division.name, "month": month.words()},
                       styles["title"]),
             Paragraph(_("Made by Linli on %(day)s from the monthly figures; every figure is the one the indicator pages show.")
                       % {"day": timezone.localdate().isoformat()}, styles["small"]),
             Spacer(1, 4 * mm),
             _table([[_("indicator"), _("figure"), _("target"), _("status"), _("last month"), _("units below target")]] + [
                 [Paragraph(row.indicator.title, styles["body"]), figure_text(row.value, row.indicator.unit),
                  figure_text(row.indicator.target, row.indicator.unit),
                  "" if row.meets is None else (_("met") if row.meets else _("below target")),
                  figure_text(row.previous, row.indicator.unit),
                  f"{row.units_below}/{row.units_judged}" if row.units_judged else "—"] for row in rows],
                 [62 * mm, 24 * mm, 24 * mm, 18 * mm, 24 * mm, 26 * mm])]
    for row in rows:
        if row.meets is not False:
            continue
        units = [u for u in selectors.ranking(user=user, division=division, indicator=row.indicator, month=month) if u.meets is False]
        block = [Paragraph(row.indicator.title, styles["h2"]),
                 Paragraph(f"{row.indicator.citation}（{row.indicator.source_short}）", styles["small"]) if row.indicator.citation
                 else Spacer(1, 1),
                 _trend_chart(row.trend, row)]
        if units:
            block.append(_table([[_("division"), _("figure"), _("target")]] + [
                [u.division.name, figure_text(u.value, row.indicator.unit), figure_text(row.indicator.target, row.indicator.unit)]
                for u in units[:RANKED]], [80 * mm, 40 * mm, 40 * mm]))
        story.append(KeepTogether(block))
    document.build(story)
    return stream.getvalue()

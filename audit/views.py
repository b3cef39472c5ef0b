"""The audit trail page: who changed what in the reader's part of the tree."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.permissions import holds_any
from core.errors import NotFound
from core.replica import replica_reads
from org.selectors import division_get

from . import selectors
from .changes import change_rows, mark_residents
from .forms import EventFilterForm


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@replica_reads
def event_list(request):
    if not holds_any(request.user, "audit.view_auditevent"):
        raise NotFound()
    filters = {
        "within": (request.GET.get("within") or "").strip(),
        "action": (request.GET.get("action") or "").strip()[:100],
        "actor": (request.GET.get("actor") or "").strip()[:20],
        "since": request.GET.get("since") or "",
        "until": request.GET.get("until") or "",
    }
    events = selectors.audit_event_list(
        user=request.user,
        within=division_get(user=request.user, code=filters["within"]) if filters["within"] else None,
        action=filters["action"] or None,
        actor_id=int(filters["actor"]) if filters["actor"].isdigit() else None,
        since=_date(filters["since"]),
        until=_date(filters["until"]),
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    change_rows(page.object_list)
    template = "audit/partials/event_rows.html" if request.htmx else "audit/event_list.html"
    return render(request, template, {"page": page, "filters": filters, "pickers": EventFilterForm(initial=filters)})


@login_required
def event_detail(request, event_id: int):
    event = selectors.audit_event_get(user=request.user, pk=event_id)
    change_rows([event])
    return render(request, "audit/event_detail.html", {"event": event})


def recent_changes_card(user) -> dict | None:
    if not holds_any(user, "audit.view_auditevent"):
        return None
    events = list(selectors.audit_event_list(user=user)[:8])
    mark_residents(events)
    return {"events": events}

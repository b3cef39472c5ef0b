"""Pages of the register: the overview per division, compliance, sites and rooms, ratings,
filings with the civil-affairs bureau, and new residential projects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import holds_any, permitted_ids, require
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form
from core.pickers import ids, picker_response
from core.replica import replica_reads
from core.uploads import serve_upload
from org.models import Division, DivisionLevel
from org.selectors import division_get, division_picked, organisation_get, user_home_division
from rulepack.selectors import rule

from . import selectors, services
from .forms import (
    CleanupForm,
    CostForm,
    DeliveryForm,
    EvidenceForm,
    FilingForm,
    MergeForm,
    PaymentForm,
    PhotoForm,
    ProvisionForm,
    RentForm,
    RoomForm,
    SignForm,
    SignOffForm,
    SignRemovalForm,
    SiteForm,
)
from .hours import format_hours
from .models import (
    PROVISION_STAGES,
    PropertySource,
    ProvisionStage,
    Room,
    SignOffParty,
    Site,
    SiteKind,
    SuggestionStatus,
)


def _home(request):
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "registry.view_site"):
        raise NotFound()
    return home


@login_required
def registry_root(request):
    return redirect("registry:overview", code=_home(request).code)


@login_required
@replica_reads
def overview(request, code: str):
    division = division_get(user=request.user, code=code)
    if not holds_any(request.user, "registry.view_site"):
        raise NotFound()
    context = {
        "division": division,
        "summary": selectors.register_summary(user=request.user, within=division),
        "breadcrumbs": [d for d in division.ancestors() if request.user.has_perm("org.view_division", d)],
        "can_add_site": division.level in (DivisionLevel.COMMUNITY, DivisionLevel.STREET)
        and request.user.has_perm("registry.add_site", division),
    }
    if holds_any(request.user, "registry.view_compliance"):
        report = selectors.compliance_for(user=request.user, division=division)
        context["report"] = report
        context["own"] = next((r for r in report.communities + report.streets if r.division.pk == division.pk), None)
        context["ranked"] = report.non_compliant[:15]
        context["streets"] = _street_rows(report) if division.level in (DivisionLevel.CITY, DivisionLevel.DISTRICT) else []
    if division.level != DivisionLevel.COMMUNITY:
        context["leases"] = selectors.leases_expiring(user=request.user, within=division, limit=20)
    if division.level == DivisionLevel.COMMUNITY:
        context["sites"] = selectors.site_list(user=request.user, within=division)
    return render(request, "registry/overview.html", context)


def _street_rows(report) -> list[dict]:
    rows: dict[str, dict] = {}
    for street in report.streets:
        rows[street.division.path] = {"street": street.division, "communities": 0, "compliant": 0,
                                      "street_ok": street.compliant, "area_gap": 0}
    for community in report.communities:
        row = rows.get(community.division.parent.path)
        if row is None:
            continue
        row["communities"] += 1
        row["compliant"] += community.compliant
        row["area_gap"] += community.area_gap
    return sorted(rows.values(), key=lambda r: (r["compliant"] / r["communities"] if r["communities"] else 1, r["street"].path))


@login_required
@replica_reads
def compliance(request, code: str):
    division = division_get(user=request.user, code=code)
    if not holds_any(request.user, "registry.view_compliance"):
        raise NotFound()
    report = selectors.compliance_for(user=request.user, division=division)
    only_failing = request.GET.get("failing") == "1"
    communities = report.non_compliant if only_failing else report.communities
    page = Paginator(communities, 50).get_page(request.GET.get("page"))
    community_rules = [r for r in report.rules if r.kind != "street_site_count_min"]
    return render(request, "registry/compliance.html", {
        "division": division, "report": report, "page": page, "only_failing": only_failing, "rules": community_rules,
        "totals": report.rule_totals(),
    })


@login_required
@replica_reads
def site_list(request, code: str):
    division = division_get(user=request.user, code=code)
    kind = request.GET.get("kind") if request.GET.get("kind") in SiteKind.values else None
    source = request.GET.get("source") if request.GET.get("source") in PropertySource.values else None
    q = (request.GET.get("q") or "").strip()[:50] or None
    sites = selectors.site_list(user=request.user, within=division, kind=kind, property_source=source, q=q)
    page = Paginator(sites, 30).get_page(request.GET.get("page"))
    template = "registry/partials/site_rows.html" if request.htmx else "registry/site_list.html"
    return render(request, template, {
        "division": division, "page": page, "kind": kind, "source": source, "q": q or "",
        "kinds": SiteKind.choices, "sources": PropertySource.choices,
        "can_add_site": division.level in (DivisionLevel.COMMUNITY, DivisionLevel.STREET)
        and request.user.has_perm("registry.add_site", division),
    })


@login_required
def site_create(request, code: str):
    division = division_get(user=request.user, code=code)
    require(request.user, "registry.add_site", division)
    form = SiteForm(request.POST or None, initial={"opening_hours": "周一至周五 08:30-17:30；周六 09:00-12:00"})
    if request.method == "POST" and form.is_valid():
        try:
            data = services.site_input({k: v for k, v in form.cleaned_data.items() if v is not None})
            site = services.site_create(actor=request.user, division=division, **data)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Registered %(name)s.") % {"name": site.name})
            return redirect("registry:site", site_id=site.pk)
    return render(request, "registry/site_form.html", {"form": form, "division": division, "site": None})


RATING_TIMELINE = 20  # the latest ratings shown on a site's page


@login_required
def site_detail(request, site_id: int):
    site = selectors.site_get(user=request.user, pk=site_id)
    rooms = list(selectors.room_list(user=request.user, site=site))
    today = timezone.localdate()
    usage_period, usage = selectors.room_usage(rooms, division=site.division)
    for room in rooms:
        room.usage = usage.get(room.pk)
        room.hours_text = format_hours(room.opening_hours) or _("as the site")
    rating_rule = rule(division=site.division, key="registry.star_rating")
    rated = rating_rule is not None and site.kind in rating_rule.params["site_kinds"]
    criteria = services.surveyed_criteria(rating_rule) if rated else []
    can_cost = request.user.has_perm("registry.add_cost", site)
    return render(request, "registry/site_detail.html", {
        "site": site, "rooms": rooms, "hours": format_hours(site.opening_hours), "usage_period": usage_period,
        "costs": selectors.cost_list(user=request.user, site=site)[:30] if holds_any(request.user, "registry.view_cost") else [],
        "photos": site.photos.filter(room__isnull=True)[:12] if request.user.has_perm("registry.view_photo", site) else [],
        "rating": site.star_ratings.filter(is_current=True).first() if rated else None,
        "ratings": selectors.rating_history(user=request.user, site=site, limit=RATING_TIMELINE) if rated else [],
        "online": selectors.online_state(site) if rated else None,
        "online_switch": getattr(site, "online_services", None) if rated else None,
        "may_switch_online": rated and request.user.has_perm("registry.switch_online_services", site),
        "online_gate": services.online_gate(site.division) if rated else None,
        "can_change": request.user.has_perm("registry.change_site", site),
        "can_add_room": request.user.has_perm("registry.add_room", site),
        "can_cost": can_cost,
        "cost_form": CostForm(rooms=rooms, initial={"year": today.year}) if can_cost else None,
        "photo_form": PhotoForm() if request.user.has_perm("registry.add_photo", site) else None,
        "evidence_form": EvidenceForm(criteria=criteria, initial={"assessed_on": today})
        if criteria and request.user.has_perm("registry.add_starevidence", site) else None,
    })


@login_required
def site_edit(request, site_id: int):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.change_site", site)
    initial = {name: getattr(site, name) for name in SiteForm.base_fields if hasattr(site, name)}
    initial["opening_hours"] = format_hours(site.opening_hours)
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            services.site_update(actor=request.user, site=site, data=services.site_input(data))
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:site", site_id=site.pk)
    return render(request, "registry/site_form.html", {"form": form, "division": site.division, "site": site})


@login_required
def room_create(request, site_id: int):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_room", site)
    form = RoomForm(request.POST or None, catalogue=selectors.catalogue(division=site.division))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("functions", "equipment")}
        try:
            services.room_create(actor=request.user, site=site, functions=form.cleaned_data["functions"],
                                 equipment=form.equipment_list(), **services.room_input(data))
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Room added."))
            return redirect("registry:site", site_id=site.pk)
    return render(request, "registry/room_form.html", {"form": form, "site": site, "room": None})


@login_required
def room_edit(request, room_id: int):
    room = selectors.room_get(user=request.user, pk=room_id)
    require(request.user, "registry.change_room", room)
    initial = {name: getattr(room, name) for name in ("name", "floor", "area", "capacity", "use", "note")}
    initial["functions"] = [f.code for f in room.functions.all()]
    initial["equipment"] = "、".join(room.equipment)
    initial["opening_hours"] = format_hours(room.opening_hours)
    form = RoomForm(request.POST or None, initial=initial, catalogue=selectors.catalogue(division=room.site.division))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data and k not in ("functions", "equipment")}
        if "equipment" in form.changed_data:
            data["equipment"] = form.equipment_list()
        try:
            services.room_update(actor=request.user, room=room, data=services.room_input(data),
                                 functions=form.cleaned_data["functions"] if "functions" in form.changed_data else None)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:site", site_id=room.site_id)
    return render(request, "registry/room_form.html", {"form": form, "site": room.site, "room": room})


@login_required
@require_POST
def cost_add(request, site_id: int):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_cost", site)
    rooms = list(selectors.room_list(user=request.user, site=site))
    form = CostForm(request.POST, rooms=rooms)
    if form.is_valid():
        data = form.cleaned_data
        room = next((r for r in rooms if r.pk == data["room"]), None)
        try:
            services.cost_record(actor=request.user, site=site, room=room, year=data["year"], category=data["category"],
                                 amount=data["amount"], paid_by=data["paid_by"], note=data["note"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Cost recorded."))
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("registry:site", site_id=site.pk)


@login_required
@require_POST
def photo_add(request, site_id: int):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_photo", site)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.photo_add(actor=request.user, site=site, upload=form.cleaned_data["image"], caption=form.cleaned_data["caption"])
        except ApplicationError as error:
            messages.error(request, "；".join(str(m) for ms in error.fields.values() for m in ms) or error.message)
        else:
            messages.success(request, _("Photo added."))
    else:
        messages.error(request, _("Choose a photo to upload."))
    return redirect("registry:site", site_id=site.pk)


@login_required
def photo(request, photo_id: int):
    found = selectors.photo_get(user=request.user, pk=photo_id)
    return serve_upload(found.image)


@login_required
@require_POST
def evidence_add(request, site_id: int):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_starevidence", site)
    rating_rule = rule(division=site.division, key="registry.star_rating")
    criteria = services.surveyed_criteria(rating_rule) if rating_rule else []
    form = EvidenceForm(request.POST, criteria=criteria)
    if form.is_valid():
        try:
            services.star_evidence_record(actor=request.user, site=site, **form.cleaned_data)
            services.star_rating_recompute(site=site)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Assessment recorded; the rating is recomputed."))
    else:
        messages.error(request, _("Check the assessment: every field is needed."))
    return redirect("registry:site", site_id=site.pk)


@login_required
@replica_reads
def rating_list(request):
    """The centres' star ratings and their online services: which are on, which may be switched on (the city's gate),
    filtered by state and paginated; the street switches them from here."""
    home = _home(request)
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else home
    state = request.GET.get("state") if request.GET.get("state") in selectors.ONLINE_STATES else None
    ratings, counts, gate = selectors.online_centres(user=request.user, within=within, state=state)
    page = Paginator(ratings, 50).get_page(request.GET.get("page"))
    switchable = selectors.sites_switchable(user=request.user, site_ids=[rating.site_id for rating in page]) \
        if holds_any(request.user, "registry.switch_online_services") else set()
    for rating in page:
        rating.may_switch = rating.site_id in switchable
    return render(request, "registry/rating_list.html", {
        "division": within, "page": page, "state": state, "counts": counts, "total": sum(counts.values()), "gate": gate,
        "places": [home, *Division.objects.filter(parent=home).exclude(level=DivisionLevel.GRID).order_by("code")]
        if home.level != DivisionLevel.COMMUNITY else [],
        "online_min_stars": rule(division=within, key="registry.online_services_min_stars"),
        "states": [(code, label, counts[code]) for code, label in (
            ("on", _("online services on")), ("eligible", _("may be switched on")),
            ("suspended", _("on, but rated below the gate")), ("below", _("below the gate")))],
    })


@login_required
@require_POST
def online_switch(request, site_id: int):
    """The street switches a centre's online services on or off (the service checks the city's gate)."""
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.switch_online_services", site)
    on = request.POST.get("on") == "1"
    try:
        services.online_services_switch(actor=request.user, site=site, on=on, note=request.POST.get("note", ""))
    except ApplicationError as error:
        details = "；".join(str(m) for messages_ in error.fields.values() for m in messages_)
        messages.error(request, details or error.message)
    else:
        messages.success(request, _("The online services of %(site)s are on.") % {"site": site.name} if on else
                         _("The online services of %(site)s are off.") % {"site": site.name})
    back = request.POST.get("next", "")
    if back.startswith("/registry/ratings/"):  # back to the list it was switched from, with its filter and page
        return redirect(back)
    return redirect("registry:site", site_id=site.pk)


@login_required
@replica_reads
def filing_list(request):
    if not holds_any(request.user, "registry.view_registryfiling"):
        raise NotFound()
    home = user_home_division(user=request.user)
    form = FilingForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "registry.add_registryfiling", home)
        if form.is_valid():
            try:
                filing = services.registry_file(actor=request.user, street=home, note=form.cleaned_data["note"])
            except ApplicationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("The register is filed."))
                return redirect("registry:filing", filing_id=filing.pk)
    filings = selectors.filing_list(user=request.user)
    return render(request, "registry/filing_list.html", {
        "page": Paginator(filings, 30).get_page(request.GET.get("page")), "form": form,
        "can_file": home is not None and home.level == DivisionLevel.STREET
        and request.user.has_perm("registry.add_registryfiling", home),
    })


@login_required
def filing_detail(request, filing_id: int):
    filing = selectors.filing_get(user=request.user, pk=filing_id)
    earlier = selectors.filing_list(user=request.user).filter(street=filing.street, filed_at__lt=filing.filed_at)
    against_id = request.GET.get("against")
    older = None
    if against_id and against_id.isdigit():
        older = selectors.filing_get(user=request.user, pk=int(against_id))
        if older.street_id != filing.street_id:
            raise NotFound()
    elif earlier.exists():
        older = selectors.filing_get(user=request.user, pk=earlier.first().pk)
    diff = selectors.filing_diff(older, filing) if older else None
    if diff is not None:  # field names and stored codes as a clerk reads them
        for model, key in ((Site, "sites_changed"), (Room, "rooms_changed")):
            for row in diff[key]:
                row["rows"] = [(*_field_words(model, name), *[_value_words(model, name, v) for v in change])
                               for name, change in row["changes"].items()]
    return render(request, "registry/filing_detail.html", {"filing": filing, "older": older, "earlier": earlier[:20], "diff": diff})


def _field_words(model, name: str) -> tuple[str]:
    try:
        return (str(model._meta.get_field(name).verbose_name),)
    except FieldDoesNotExist:
        return (name,)


def _value_words(model, name: str, value) -> str:
    """A stored value as words: a choice by its label, yes or no, a week of hours as a notice board writes it."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return "—" if value in (None, "") else str(value)
    if field.choices and value is not None:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "opening_hours" and isinstance(value, dict):
        return format_hours(value)
    return "—" if value in (None, "", []) else str(value)


@login_required
@replica_reads
def project_list(request):
    if not holds_any(request.user, "registry.view_provisionproject"):
        raise NotFound()
    projects = selectors.provision_list(user=request.user)
    overdue = set(selectors.provision_overdue(user=request.user).values_list("pk", flat=True))
    can_add = holds_any(request.user, "registry.add_provisionproject")
    form = ProvisionForm(request.POST or None) if can_add else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            community = division_picked(user=request.user, code=data.pop("community_code"), field="community_code",
                                        levels=(DivisionLevel.COMMUNITY,))
            require(request.user, "registry.add_provisionproject", community)
            project = services.provision_project_create(actor=request.user, community=community, **data)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Project recorded: %(area)s m² of community rooms required.") % {"area": project.required_area})
            return redirect("registry:project", project_id=project.pk)
    return render(request, "registry/project_list.html", {
        "page": Paginator(projects, 30).get_page(request.GET.get("page")), "overdue": overdue, "form": form,
    })


@login_required
def project_detail(request, project_id: int):
    project = selectors.provision_get(user=request.user, pk=project_id)
    can_act = request.user.has_perm("registry.change_provisionproject", project)
    parties = services.party_of(request.user, project) if can_act else set()
    sign_off_form = SignOffForm(request.POST or None, prefix="sign") if parties and project.stage != ProvisionStage.DONE else None
    if sign_off_form is not None:
        sign_off_form.fields["party"].choices = [c for c in sign_off_form.fields["party"].choices if c[0] in parties]
    payment_form = None
    if (project.method == "monetise" and project.delivery_filed_on and not project.paid_on
            and request.user.has_perm("registry.add_provisionproject", project.community)):
        payment_form = PaymentForm(request.POST or None, prefix="payment", initial={"amount": project.monetisation_amount})
    delivery_form = None
    if project.stage == ProvisionStage.DONE and not project.delivery_filed_on and request.user.has_perm(
            "registry.add_provisionproject", project.community):
        delivery_form = DeliveryForm(request.POST or None, prefix="delivery")
    if request.method == "POST":
        try:
            if "sign-party" in request.POST and sign_off_form is not None and sign_off_form.is_valid():
                services.provision_sign_off(actor=request.user, project=project, **sign_off_form.cleaned_data)
                messages.success(request, _("Consent recorded."))
                return redirect("registry:project", project_id=project.pk)
            if "delivery-delivery_filed_on" in request.POST and delivery_form is not None and delivery_form.is_valid():
                services.provision_delivery_file(actor=request.user, project=project, **delivery_form.cleaned_data)
                messages.success(request, _("Delivery filed."))
                return redirect("registry:project", project_id=project.pk)
            if "payment-paid_on" in request.POST and payment_form is not None and payment_form.is_valid():
                services.provision_payment_record(actor=request.user, project=project, **payment_form.cleaned_data)
                messages.success(request, _("Payment recorded in the street's earmarked sub-account."))
                return redirect("registry:project", project_id=project.pk)
        except ApplicationError as error:
            messages.error(request, error.message if not error.fields else "；".join(str(m) for ms in error.fields.values() for m in ms))
    signed = {(s.stage, s.party): s for s in project.sign_offs.all()}
    stages = [{"stage": stage, "label": stage.label,
               "parties": [{"party": party, "label": party.label, "sign_off": signed.get((stage.value, party.value))}
                           for party in SignOffParty]}
              for stage in PROVISION_STAGES]
    return render(request, "registry/project_detail.html", {
        "project": project, "stages": stages, "sign_off_form": sign_off_form, "delivery_form": delivery_form,
        "payment_form": payment_form,
        "overdue": project.payment_due_on and not project.paid_on and project.payment_due_on < timezone.localdate(),
    })


@login_required
def earmarked(request, code: str):
    street = division_get(user=request.user, code=code)
    if street.level != DivisionLevel.STREET or not holds_any(request.user, "ledger.view_account"):
        raise NotFound()
    can_add = request.user.has_perm("registry.add_rent", street)
    form = RentForm(request.POST or None) if can_add else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.earmarked_rent_record(actor=request.user, street=street, **form.cleaned_data)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Rent recorded."))
            return redirect("registry:earmarked", code=street.code)
    account, statement = selectors.earmarked_statement(user=request.user, street=street)
    return render(request, "registry/earmarked.html", {"street": street, "account": account, "statement": statement, "form": form})


def compliance_card(user) -> dict | None:
    """The home dashboard's view of the standards: how many communities meet each, worst first."""
    if not holds_any(user, "registry.view_compliance"):
        return None
    home = user_home_division(user=user)
    if home is None:
        return None
    report = selectors.compliance_for(user=user, division=home)
    if not report.communities:
        return None
    compliant = sum(1 for r in report.communities if r.compliant)
    return {"division": home, "totals": report.rule_totals(), "ranked": report.non_compliant[:5],
            "compliant": compliant, "communities": len(report.communities),
            "leases": selectors.leases_expiring(user=user, within=home, limit=5) if home.level != DivisionLevel.COMMUNITY else []}


@login_required
def pick_rooms(request):
    """Rooms by name or site, for pickers (JSON): ``within`` (a division's code)."""
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else None
    return picker_response(
        request, search=lambda q: selectors.room_options(user=request.user, q=q, within=within),
        lookup=lambda values: selectors.room_options(user=request.user, within=within, ids=ids(values), limit=len(values)))


# Signs and plaques [Huli].

def _signs_home(request) -> Division:
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "registry.view_sign"):
        raise NotFound()
    return home


@login_required
def signs_root(request):
    return redirect("registry:signs", code=_signs_home(request).code)


@login_required
def signs(request, code: str):
    """The signs under a division: counts per division one level down (removed / remaining), the clean-ups,
    the register of signs (filtered with htmx), and the forms to record a sign or start a clean-up."""
    _signs_home(request)
    division = division_get(user=request.user, code=code)
    show = request.GET.get("show") if request.GET.get("show") in ("redundant", "removed", "allowed") else None
    q = (request.GET.get("q") or "").strip()[:50] or None
    found = selectors.sign_list(user=request.user, within=division, q=q, **{
        "redundant": {"redundant": True, "removed": False}, "removed": {"removed": True},
        "allowed": {"redundant": False, "removed": False}}.get(show, {}))
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    removable = permitted_ids(request.user, "registry.remove_sign", list(page))
    for sign in page:
        sign.may_remove = sign.pk in removable and sign.removed_on is None
    if request.htmx:
        return render(request, "registry/partials/sign_rows.html", {"page": page, "division": division})
    can_add = holds_any(request.user, "registry.add_sign") and request.user.has_perm("registry.add_sign", division)
    sign_form = SignForm(request.POST or None, request.FILES or None, within=division, prefix="sign") if can_add else None
    can_cleanup = division.level in (DivisionLevel.STREET, DivisionLevel.DISTRICT) and request.user.has_perm(
        "registry.add_signcleanup", division)
    cleanup_form = CleanupForm(request.POST or None, prefix="cleanup") if can_cleanup else None
    if request.method == "POST":
        if "sign-text" in request.POST and sign_form is not None and sign_form.is_valid():
            data = sign_form.cleaned_data
            try:
                site = selectors.site_get(user=request.user, pk=data["site"])
                require(request.user, "registry.add_sign", site)
                department = organisation_get(user=request.user, pk=data["department"]) if data["department"] else None
                services.sign_record(actor=request.user, site=site, text=data["text"], department=department,
                                     department_name=data["department_name"], hung_on=data["hung_on"], photo=data["photo"])
            except ApplicationError as error:
                add_error_to_form(sign_form, error)
            else:
                messages.success(request, _("Sign recorded."))
                return redirect("registry:signs", code=division.code)
        if "cleanup-title" in request.POST and cleanup_form is not None and cleanup_form.is_valid():
            try:
                cleanup = services.sign_cleanup_start(actor=request.user, division=division, **cleanup_form.cleaned_data)
            except ApplicationError as error:
                add_error_to_form(cleanup_form, error)
            else:
                messages.success(request, _("Clean-up started."))
                return redirect("registry:cleanup", cleanup_id=cleanup.pk)
    rows, total = selectors.sign_counts(user=request.user, within=division)
    return render(request, "registry/signs.html", {
        "division": division, "page": page, "show": show, "q": q or "", "rows": rows, "total": total,
        "cleanups": selectors.cleanup_list(user=request.user, within=division)[:10],
        "sign_form": sign_form, "cleanup_form": cleanup_form,
        "breadcrumbs": [d for d in division.ancestors() if request.user.has_perm("org.view_division", d)],
    })


@login_required
def cleanup_detail(request, cleanup_id: int):
    """A clean-up: its counts, the redundant signs still hung (each removed here with its photo) and those removed."""
    cleanup = selectors.cleanup_get(user=request.user, pk=cleanup_id)
    remaining, removed = selectors.cleanup_signs(user=request.user, cleanup=cleanup)
    page = Paginator(remaining, 30).get_page(request.GET.get("page"))
    removable = permitted_ids(request.user, "registry.remove_sign", list(page))
    for sign in page:
        sign.may_remove = sign.pk in removable
    if request.method == "POST" and "close" in request.POST:
        require(request.user, "registry.add_signcleanup", cleanup)
        try:
            services.sign_cleanup_close(actor=request.user, cleanup=cleanup)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Clean-up closed."))
        return redirect("registry:cleanup", cleanup_id=cleanup.pk)
    rows, total = selectors.sign_counts(user=request.user, within=cleanup.division, cleanup=cleanup)
    return render(request, "registry/cleanup_detail.html", {
        "cleanup": cleanup, "page": page, "removed": removed[:50], "rows": rows, "total": total,
        "removal_form": SignRemovalForm(initial={"removed_on": timezone.localdate()}),
        "can_close": cleanup.closed_on is None and request.user.has_perm("registry.add_signcleanup", cleanup),
    })


@login_required
@require_POST
def sign_remove(request, sign_id: int):
    sign = selectors.sign_get(user=request.user, pk=sign_id)
    require(request.user, "registry.remove_sign", sign)
    form = SignRemovalForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.sign_remove(actor=request.user, sign=sign, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, "；".join(str(m) for ms in error.fields.values() for m in ms) or error.message)
        else:
            messages.success(request, _("Sign removed: %(text)s.") % {"text": sign.text})
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    back = request.POST.get("next", "")
    if back.startswith("/registry/"):
        return redirect(back)
    return redirect("registry:signs", code=sign.site.division.code)


@login_required
def sign_photo(request, sign_id: int):
    sign = selectors.sign_get(user=request.user, pk=sign_id)
    image = sign.removal_photo if request.GET.get("removal") == "1" else sign.photo
    if not image:
        raise NotFound()
    return serve_upload(image)


@login_required
def pick_sites(request):
    """Sites in use by name, for pickers (JSON): ``within`` (a division's code)."""
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else None
    return picker_response(
        request, search=lambda q: selectors.site_options(user=request.user, q=q, within=within),
        lookup=lambda values: selectors.site_options(user=request.user, within=within, ids=ids(values), limit=len(values)))


# Suggestions to merge idle rooms [Huli] or swap unfit ones [Haining].

@login_required
def suggestions(request):
    """The suggestions under the user's home (or ``within``): open ones first, each with its figures; the street
    accepts or dismisses them, makes them now, or proposes a merge of its own."""
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "registry.view_roomsuggestion"):
        raise NotFound()
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else home
    status = request.GET.get("status") if request.GET.get("status") in SuggestionStatus.values else SuggestionStatus.OPEN
    can_generate = within.level != DivisionLevel.COMMUNITY and request.user.has_perm("registry.add_roomsuggestion", within)
    merge_form = MergeForm(request.POST or None, within=within, prefix="merge") if can_generate else None
    if request.method == "POST" and can_generate:
        try:
            if "generate" in request.POST:
                made = services.room_suggestions_generate(actor=request.user, within=within)
                messages.success(request, _("%(merge)s merges and %(swap)s swaps suggested.") % made)
                return redirect(f"{reverse('registry:suggestions')}?within={within.code}")
            if merge_form is not None and merge_form.is_valid():
                room = selectors.room_get(user=request.user, pk=merge_form.cleaned_data["room"])
                keep = selectors.room_get(user=request.user, pk=merge_form.cleaned_data["keep"])
                require(request.user, "registry.add_roomsuggestion", room)
                services.room_merge_propose(actor=request.user, room=room, keep=keep)
                messages.success(request, _("Merge proposed."))
                return redirect(f"{reverse('registry:suggestions')}?within={within.code}")
        except ApplicationError as error:
            if merge_form is not None and "generate" not in request.POST:
                add_error_to_form(merge_form, error)
            else:
                messages.error(request, error.message)
    found = selectors.suggestion_list(user=request.user, within=within, status=status)
    page = Paginator(found, 20).get_page(request.GET.get("page"))
    decidable = permitted_ids(request.user, "registry.decide_roomsuggestion", list(page))
    for suggestion in page:
        suggestion.may_decide = suggestion.pk in decidable and suggestion.status == SuggestionStatus.OPEN
    return render(request, "registry/suggestions.html", {
        "division": within, "page": page, "status": status, "statuses": SuggestionStatus.choices,
        "can_generate": can_generate, "merge_form": merge_form,
    })


@login_required
@require_POST
def suggestion_decide(request, suggestion_id: int):
    suggestion = selectors.suggestion_get(user=request.user, pk=suggestion_id)
    require(request.user, "registry.decide_roomsuggestion", suggestion)
    try:
        if request.POST.get("decision") == "accept":
            services.room_suggestion_accept(actor=request.user, suggestion=suggestion, note=request.POST.get("note", ""))
            messages.success(request, _("Suggestion accepted; the register is changed."))
        else:
            services.room_suggestion_dismiss(actor=request.user, suggestion=suggestion, reason=request.POST.get("reason", ""))
            messages.success(request, _("Suggestion dismissed."))
    except ApplicationError as error:
        messages.error(request, "；".join(str(m) for ms in error.fields.values() for m in ms) or error.message)
    return redirect(f"{reverse('registry:suggestions')}?within={suggestion.street.code}")

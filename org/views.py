"""Pages of the administrative tree and the organisations register."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import holds_any, require
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form
from core.pickers import ids, picker_response
from core.replica import replica_reads

from . import selectors, services
from .forms import DivisionForm, OrganisationForm
from .models import CommunityType, DivisionLevel, OrganisationKind


@login_required
def division_root(request):
    home = selectors.user_home_division(user=request.user)
    if home is None:
        raise NotFound(_("Your roles do not include any division."))
    return redirect("org:division", code=home.code)


@login_required
def division_detail(request, code: str):
    division = selectors.division_get(user=request.user, code=code)
    children = selectors.children_with_figures(user=request.user, division=division)
    figures = selectors.scope_figures(user=request.user, root=division)
    type_labels = dict(CommunityType.choices)
    community_types = [
        {"label": str(type_labels.get(key, _("not set"))), "count": count}
        for key, count in sorted(figures.community_types.items(), key=lambda item: -item[1])
    ]
    breadcrumbs = [d for d in division.ancestors() if request.user.has_perm("org.view_division", d)]
    return render(request, "org/division_detail.html", {
        "division": division,
        "children": children,
        "figures": figures,
        "community_types": community_types,
        "breadcrumbs": breadcrumbs,
        "can_change": request.user.has_perm("org.change_division", division),
        "can_add_child": division.level not in (DivisionLevel.GRID,) and request.user.has_perm("org.add_division", division),
        "organisations": selectors.organisation_list(user=request.user, serving=division)[:12]
        if holds_any(request.user, "org.view_organisation") else [],
    })


@login_required
def division_edit(request, code: str):
    division = selectors.division_get(user=request.user, code=code)
    require(request.user, "org.change_division", division)
    initial = {f: getattr(division, f) for f in ("code", "name", "population", "households", "community_type", "latitude", "longitude")}
    form = DivisionForm(request.POST or None, initial=initial, level=division.level)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            division = services.division_update(actor=request.user, division=division, data=data)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:division", code=division.code)
    return render(request, "org/division_form.html", {"form": form, "division": division, "parent": division.parent})


@login_required
def division_add_child(request, code: str):
    parent = selectors.division_get(user=request.user, code=code)
    require(request.user, "org.add_division", parent)
    level = services.child_level(parent)
    form = DivisionForm(request.POST or None, level=level, initial={"code": parent.code[:9] if level == "community" else ""})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            child = services.division_create(actor=request.user, parent=parent, **data)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": child.name})
            return redirect("org:division", code=child.code)
    return render(request, "org/division_form.html", {"form": form, "division": None, "parent": parent, "level": level})


@login_required
@replica_reads
def organisation_list(request):
    if not holds_any(request.user, "org.view_organisation"):
        raise NotFound()
    kind = request.GET.get("kind") or None
    if kind not in OrganisationKind.values:
        kind = None
    q = (request.GET.get("q") or "").strip()[:50] or None
    organisations = selectors.organisation_list(user=request.user, kind=kind, q=q)
    page = Paginator(organisations, 25).get_page(request.GET.get("page"))
    template = "org/partials/organisation_rows.html" if request.htmx else "org/organisation_list.html"
    return render(request, template, {
        "page": page, "kind": kind, "q": q or "", "kinds": OrganisationKind.choices,
        "can_add": holds_any(request.user, "org.add_organisation"),
    })


@login_required
def organisation_detail(request, organisation_id: int):
    organisation = selectors.organisation_get(user=request.user, pk=organisation_id)
    return render(request, "org/organisation_detail.html", {
        "organisation": organisation,
        "can_change": request.user.has_perm("org.change_organisation", organisation),
    })


def _divisions(request, form, field: str, codes: list[str], kept: dict | None = None):
    """The divisions of ``codes`` the user sees, and those of ``kept`` (what an organisation already serves,
    which stays even where the user does not see it); any other code is refused on the field."""
    kept = kept or {}
    found, unknown = selectors.divisions_by_codes(user=request.user, codes=[c for c in codes if c not in kept])
    for code in unknown:
        form.add_error(field, _("Unknown division code: %(code)s") % {"code": code})
    return found + [kept[c] for c in codes if c in kept]


@login_required
def organisation_create(request):
    if not holds_any(request.user, "org.add_organisation"):
        raise NotFound()
    home = selectors.user_home_division(user=request.user)
    form = OrganisationForm(request.POST or None, initial={"home_division_code": home.code if home else ""})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        homes = _divisions(request, form, "home_division_code", [data.pop("home_division_code")])
        served = _divisions(request, form, "served_division_codes", form.served_codes())
        data.pop("served_division_codes")
        if homes and not form.errors:
            if not request.user.has_perm("org.add_organisation", homes[0]):
                form.add_error("home_division_code", _("You cannot register organisations there."))
            else:
                try:
                    organisation = services.organisation_create(
                        actor=request.user, home_division=homes[0], served_divisions=served or None, **data
                    )
                except ApplicationError as error:
                    add_error_to_form(form, error)
                else:
                    messages.success(request, _("Registered %(name)s.") % {"name": organisation.name})
                    return redirect("org:organisation", organisation_id=organisation.pk)
    return render(request, "org/organisation_form.html", {"form": form, "organisation": None})


@login_required
def organisation_edit(request, organisation_id: int):
    organisation = selectors.organisation_get(user=request.user, pk=organisation_id)
    require(request.user, "org.change_organisation", organisation)
    initial = {f: getattr(organisation, f) for f in (
        "name", "operator_kind", "credit_code", "public_fundraising", "contact_name", "contact_phone", "address", "description")}
    serving = {d.code: d for d in organisation.served_divisions.all()}
    initial["served_division_codes"] = list(serving)
    form = OrganisationForm(request.POST or None, initial=initial, editing=True)
    form.fields["served_division_codes"].widget.labels = {code: d.name for code, d in serving.items()}
    if request.method == "POST" and form.is_valid():
        served = _divisions(request, form, "served_division_codes", form.served_codes(), kept=serving)
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data and k != "served_division_codes"}
        if not form.errors:
            try:
                services.organisation_update(
                    actor=request.user, organisation=organisation, data=data,
                    served_divisions=served if "served_division_codes" in form.changed_data else None,
                )
            except ApplicationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("org:organisation", organisation_id=organisation.pk)
    return render(request, "org/organisation_form.html", {"form": form, "organisation": organisation})


def scope_card(user) -> dict | None:
    """The home dashboard's view of the user's part of the tree: figures and a chart per root."""
    if not holds_any(user, "org.view_division"):
        return None
    type_labels = dict(CommunityType.choices)
    roots = []
    for root in selectors.scope_roots(user=user)[:3]:
        figures = selectors.scope_figures(user=user, root=root)
        children = selectors.children_with_figures(user=user, division=root)
        roots.append({
            "division": root,
            "figures": figures,
            "types": [{"label": str(type_labels.get(k, _("not set"))), "count": v} for k, v in sorted(figures.community_types.items())],
            "chart": {
                "labels": [c.name for c in children],
                "population": [c.people for c in children],
                # Below a street or a community, each child is one community or a grid: no second series.
                "communities": [c.community_count for c in children] if root.level in ("city", "district") else None,
            },
        })
    return {"roots": roots}


# The pickers' searches (core/pickers.py): JSON, within what the user sees.

def _division_filter(request, name: str):
    return selectors.division_get(user=request.user, code=request.GET[name]) if request.GET.get(name) else None


@login_required
def pick_divisions(request):
    """Divisions by name, each with its path: ``level`` (levels separated by commas), ``within`` (a
    division's code), ``perm`` (a permission the user must hold there)."""
    filters = {"levels": [level for level in request.GET.get("level", "").split(",") if level in DivisionLevel.values],
               "within": _division_filter(request, "within"), "perm": request.GET.get("perm") or None}
    return picker_response(
        request, search=lambda q: selectors.division_options(user=request.user, q=q, **filters),
        lookup=lambda values: selectors.division_options(user=request.user, codes=values, limit=len(values), **filters))


@login_required
def pick_organisations(request):
    """Organisations by name: ``kind`` (kinds separated by commas), ``serving`` (a division's code: at,
    above or below it), ``within`` (serving somewhere below a division), ``fundraising`` (1: with
    public-fundraising status)."""
    filters = {"kinds": [kind for kind in request.GET.get("kind", "").split(",") if kind in OrganisationKind.values],
               "serving": _division_filter(request, "serving"), "within": _division_filter(request, "within"),
               "public_fundraising": True if request.GET.get("fundraising") == "1" else None}
    return picker_response(
        request, search=lambda q: selectors.organisation_options(user=request.user, q=q, **filters),
        lookup=lambda values: selectors.organisation_options(user=request.user, ids=ids(values), limit=len(values), **filters))

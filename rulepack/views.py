"""The rule pack pages: the rules in force by module with their sources, a form per rule, the
versions, and the whole file as text (the advanced view)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.permissions import holds_any, require
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form
from org.selectors import user_home_division
from registry.selectors import catalogue

from . import selectors, services
from .display import summary
from .forms import PackForm, RuleForm
from .kinds import RULE_KINDS


def _city(request):
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "rulepack.view_rulepack"):
        raise NotFound()
    return selectors.city_of(home)


@login_required
def pack_active(request):
    city = _city(request)
    pack = selectors.active_pack(division=city)
    return render(request, "rulepack/pack.html", {
        "city": city, "pack": pack, "sections": selectors.pack_sections(pack), "sources": pack.sources.order_by("pk"),
        "catalogue": catalogue(division=city), "versions": selectors.pack_list(user=request.user).filter(city=city)[:20],
        "can_edit": request.user.has_perm("rulepack.add_rulepack", city),
    })


@login_required
def pack_version(request, pack_id: int):
    pack = selectors.pack_get(user=request.user, pk=pack_id)
    return render(request, "rulepack/version.html", {"pack": pack, "sections": selectors.pack_sections(pack)})


@login_required
def pack_version_file(request, pack_id: int):
    pack = selectors.pack_get(user=request.user, pk=pack_id)
    if request.GET.get("download"):
        response = HttpResponse(pack.content, content_type="application/toml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="rulepack-{pack.city.code}-{pack.version}.toml"'
        return response
    return render(request, "rulepack/version_file.html", {"pack": pack})


@login_required
def rule_edit(request, rule_key: str):
    city = _city(request)
    require(request.user, "rulepack.add_rulepack", city)
    pack = selectors.active_pack(division=city)
    rule = pack.rules.select_related("source").filter(key=rule_key).first()
    if rule is None or rule.kind not in RULE_KINDS:
        raise NotFound()
    return _rule_page(request, city=city, pack=pack, kind=RULE_KINDS[rule.kind], rule=rule)


@login_required
def rule_add(request, kind: str):
    city = _city(request)
    require(request.user, "rulepack.add_rulepack", city)
    if kind not in RULE_KINDS or not RULE_KINDS[kind].several:
        raise NotFound()
    return _rule_page(request, city=city, pack=selectors.active_pack(division=city), kind=RULE_KINDS[kind], rule=None)


def _rule_page(request, *, city, pack, kind, rule):
    data = selectors.pack_data(pack)
    raw = next((r for r in data.get("rules", []) if r.get("key") == rule.key), None) if rule else None
    form = RuleForm(request.POST or None, kind=kind, key=rule.key if rule else None, pack_data=data, base=pack.pk, rule=raw)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            base = selectors.pack_list(user=request.user).filter(city=city, pk=form.cleaned_data["base"]).first()
            try:
                if base is None:
                    raise NotFound()
                new, key, changes = services.rulepack_rule_save(
                    actor=request.user, city=city, base=base, kind=kind.name, key=rule.key if rule else None,
                    title=form.cleaned_data["title"], source=form.cleaned_data["source"],
                    citation=form.cleaned_data["citation"], note=form.cleaned_data["note"], params=form.params,
                    enabled=form.cleaned_data.get("enabled", True))
            except ApplicationError as error:
                add_error_to_form(form, error)
                status = error.status
            else:
                messages.success(request, _("Saved as version %(version)s, now in force: %(changes)s")
                                 % {"version": new.version, "changes": summary(changes)})
                return redirect(reverse("rulepack:active") + f"#rule-{key}")
        else:
            status = 422
    return render(request, "rulepack/rule_form.html", {
        "city": city, "pack": pack, "kind": kind, "rule": rule, "form": form, "rows": form.rows(),
        "source": rule.source if rule else None,
    }, status=status)


@login_required
def pack_file(request):
    """The version in force as a file: read it, download it; the supervisor edits or uploads it whole."""
    city = _city(request)
    current = selectors.active_pack(division=city)
    can_edit = request.user.has_perm("rulepack.add_rulepack", city)
    if request.method == "POST":
        require(request.user, "rulepack.add_rulepack", city)
    form = PackForm(request.POST or None, request.FILES or None, initial={"content": current.content}) if can_edit else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                pack = services.rulepack_load(actor=request.user, city=city, content=form.cleaned_data["content"],
                                              note=form.cleaned_data["note"])
            except ApplicationError as error:
                add_error_to_form(form, error)
                status = error.status
            else:
                messages.success(request, _("Version %(version)s is now in force.") % {"version": pack.version})
                return redirect("rulepack:active")
        else:
            status = 422
    return render(request, "rulepack/file.html", {"form": form, "city": city, "current": current}, status=status)

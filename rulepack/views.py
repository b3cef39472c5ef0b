"""The rule pack pages: the standards in force with their sources, the versions, the editor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import holds_any, require
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form
from org.selectors import user_home_division
from registry.selectors import catalogue

from . import selectors, services
from .forms import PackForm


def _city(request):
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "rulepack.view_rulepack"):
        raise NotFound()
    return selectors.city_of(home)


@login_required
def pack_active(request):
    city = _city(request)
    pack = selectors.active_pack(division=city)
    rules = list(pack.rules.select_related("source").order_by("order"))
    return render(request, "rulepack/pack.html", {
        "city": city, "pack": pack, "rules": rules, "sources": pack.sources.order_by("tag"),
        "catalogue": catalogue(division=city), "versions": selectors.pack_list(user=request.user).filter(city=city)[:20],
        "can_edit": request.user.has_perm("rulepack.add_rulepack", city),
    })


@login_required
def pack_version(request, pack_id: int):
    pack = selectors.pack_get(user=request.user, pk=pack_id)
    if request.GET.get("download"):
        response = HttpResponse(pack.content, content_type="application/toml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="rulepack-{pack.city.code}-{pack.version}.toml"'
        return response
    return render(request, "rulepack/version.html", {"pack": pack, "rules": pack.rules.select_related("source").order_by("order")})


@login_required
def pack_edit(request):
    city = _city(request)
    require(request.user, "rulepack.add_rulepack", city)
    current = selectors.active_pack(division=city)
    form = PackForm(request.POST or None, initial={"content": current.content})
    if request.method == "POST" and form.is_valid():
        try:
            pack = services.rulepack_load(actor=request.user, city=city, content=form.cleaned_data["content"],
                                          note=form.cleaned_data["note"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Version %(version)s is now in force.") % {"version": pack.version})
            return redirect("rulepack:active")
    return render(request, "rulepack/edit.html", {"form": form, "city": city, "current": current})

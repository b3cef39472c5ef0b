"""Forms of the planning pages; the services check everything again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin

from .models import MAX_MINUTES, MIN_MINUTES, CandidateSource, DemandSource, Objective


class NetworkForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    file = forms.FileField(label=_("OpenStreetMap extract (*.osm.pbf)"))


class DemandForm(BootstrapMixin, forms.Form):
    network = forms.ChoiceField(label=_("walking network"))
    source = forms.ChoiceField(label=_("where people live"), choices=DemandSource.choices)
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    file = forms.FileField(label=_("points (CSV or GeoJSON, for uploaded points)"), required=False,
                           help_text=_("Columns lon, lat, population (or 经度, 纬度, 人口)."))

    def __init__(self, *args, networks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = [(n.pk, f"{n.name}（{n.division.name}）") for n in networks]


class ScenarioForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("scenario name"), max_length=120, required=False,
                           help_text=_("Empty: the facility, the objective and the next number, e.g. 老年食堂（15分钟） · 现状（2）."))
    demand = forms.ChoiceField(label=_("demand"))
    facility_kind = forms.ChoiceField(label=_("facility kind"))
    objective = forms.ChoiceField(label=_("objective"), choices=Objective.choices)
    k = forms.IntegerField(label=_("new sites (k)"), min_value=1, max_value=10_000, required=False)
    candidate_source = forms.ChoiceField(label=_("candidate sites"), choices=[("", "—"), *CandidateSource.choices], required=False)
    file = forms.FileField(label=_("candidate points (CSV or GeoJSON)"), required=False)
    minutes = forms.FloatField(label=_("threshold (minutes)"), min_value=MIN_MINUTES, max_value=MAX_MINUTES, required=False,
                               help_text=_("Empty: the rule pack's threshold for the facility kind."))
    include_osm = forms.BooleanField(label=_("count OpenStreetMap facilities too"), required=False, initial=True)
    reachable_only = forms.BooleanField(label=_("set covering: leave out people no candidate can reach"), required=False)

    def __init__(self, *args, demand_sets=(), kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["demand"].choices = [(d.pk, f"{d.name}（{d.division.name}，{d.population:,.0f}）") for d in demand_sets]
        self.fields["facility_kind"].choices = [(k.code, k.title) for k in kinds]


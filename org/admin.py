"""Back office for the administrative tree and organisations (scoped like every page)."""

from django import forms
from django.contrib import admin

from accounts.admin import ScopedModelAdmin
from core.errors import ApplicationError
from core.pickers import CHOOSE_FROM_THE_LIST

from . import services
from .forms import division_picker
from .models import Division, Organisation
from .selectors import division_list


@admin.register(Division)
class DivisionAdmin(ScopedModelAdmin):
    list_display = ("name", "code", "level", "parent", "population", "households", "community_type")
    list_filter = ("level", "community_type")
    search_fields = ("name", "code")
    list_select_related = ("parent",)
    readonly_fields = ("level", "parent", "path", "depth", "created_at", "updated_at")
    fields = ("code", "name", "level", "parent", "population", "households", "community_type", "latitude", "longitude",
              "boundary", "path", "depth", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False  # divisions are added under their parent, on the division page or by import

    def save_model(self, request, obj, form, change):
        # The service saves, keeps paths right and writes the audit event.
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.DIVISION_EDITABLE}
        try:
            services.division_update(actor=request.user, division=obj, data=data)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level="error")

    def audit_division(self, obj):
        return obj


@admin.register(Organisation)
class OrganisationAdmin(ScopedModelAdmin):
    list_display = ("name", "kind", "operator_kind", "public_fundraising", "home_division", "is_active")
    list_filter = ("kind", "operator_kind", "public_fundraising", "is_active")
    search_fields = ("name", "credit_code")
    list_select_related = ("home_division",)
    readonly_fields = ("kind", "home_division", "created_at", "updated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The divisions served are picked by name among those the user sees (the form posts their codes);
        those the organisation already serves stay, named, even where the user does not see them."""
        form = super().get_form(request, obj, change=change, **kwargs)
        serving = list(obj.served_divisions.all()) if obj is not None else []
        widget = division_picker(multiple=True)
        widget.labels = {d.code: d.name for d in serving}
        form.base_fields["served_divisions"] = forms.ModelMultipleChoiceField(
            queryset=division_list(user=request.user) | Division.objects.filter(pk__in=[d.pk for d in serving]),
            to_field_name="code", required=False, label=Organisation._meta.get_field("served_divisions").verbose_name,
            widget=widget, error_messages={"invalid_choice": CHOOSE_FROM_THE_LIST, "invalid_pk_value": CHOOSE_FROM_THE_LIST})
        return form

    def has_add_permission(self, request):
        return False  # registered on the organisations page, which checks where

    def save_model(self, request, obj, form, change):
        """Nothing here: save_related saves through the service, with the served divisions."""

    def save_related(self, request, form, formsets, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.ORGANISATION_EDITABLE}
        served = list(form.cleaned_data["served_divisions"]) if "served_divisions" in form.changed_data else None
        try:
            services.organisation_update(actor=request.user, organisation=form.instance, data=data, served_divisions=served)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level="error")

    def audit_division(self, obj):
        return obj.home_division

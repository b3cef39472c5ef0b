"""Forms of the sign-in, sign-up, profile and people pages."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin
from core.pickers import IdPickerField, Picker, PickerField
from org.forms import division_picker, organisation_picker

from .models import PHONE_RE, Role, TokenScope


def person_picker(*, within=None, role: str | None = None, placeholder=None) -> Picker:
    """A picker of the people the user sees (those holding a role in their area), by name or mobile number."""
    return Picker("accounts:pick_people", params={"within": getattr(within, "code", within), "role": role},
                  placeholder=placeholder or _("Type a name or a mobile number"))


def _place_fields():
    """Where a role is held: a division of the user's area, or an operator or charity there."""
    return (
        PickerField(label=_("At division"), max_length=20, required=False,
                    picker=division_picker(perm="accounts.add_roleassignment")),
        IdPickerField(label=_("Or at organisation (operator or charity staff)"), required=False,
                    picker=organisation_picker(kinds=("operator", "charity"))),
    )


class SignInForm(BootstrapMixin, AuthenticationForm):
    username = forms.CharField(label=_("Username or mobile number"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))

    error_messages = {
        "invalid_login": _("The username or password is not right."),
        "inactive": _("This account is disabled."),
    }


class PhoneForm(BootstrapMixin, forms.Form):
    phone = forms.RegexField(label=_("Mobile number"), regex=PHONE_RE, max_length=11,
                             error_messages={"invalid": _("Enter a mainland mobile number of 11 digits, such as 13800138000.")},
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))


class ResidentSignUpForm(PhoneForm):
    code = forms.CharField(label=_("Verification code"), max_length=8,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    display_name = forms.CharField(label=_("Your name"), max_length=50)
    community_code = forms.CharField(label=_("Your community"), max_length=20, widget=forms.HiddenInput)
    password = forms.CharField(label=_("Password"), min_length=8, max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=100)
    scope = forms.ChoiceField(label=_("What it may do"), choices=TokenScope.choices, initial=TokenScope.READ)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].max_value = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        self.fields["days"].widget.attrs.update(max=settings.API_TOKEN_MAX_DAYS, placeholder=settings.API_TOKEN_DAYS)
        self.fields["days"].help_text = _("Empty: %(days)s days. At most %(most)s.") % {
            "days": settings.API_TOKEN_DAYS, "most": settings.API_TOKEN_MAX_DAYS}


class StaffAccountForm(BootstrapMixin, forms.Form):
    username = forms.RegexField(label=_("Username"), regex=r"^[\w.@+-]+$", min_length=3, max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.RegexField(label=_("Mobile number"), regex=PHONE_RE, max_length=11, required=False)
    password = forms.CharField(label=_("Initial password"), min_length=8, max_length=128, widget=forms.PasswordInput)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    division_code, organisation_id = _place_fields()


class RoleGrantForm(BootstrapMixin, forms.Form):
    person = IdPickerField(label=_("Person"), picker=person_picker())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    division_code, organisation_id = _place_fields()


class PeopleFilterForm(forms.Form):
    """The people page's filter: a division of the user's area (and below), a role."""

    within = PickerField(label=_("At division and below"), required=False, max_length=20, picker=division_picker())
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices],
                             widget=forms.Select(attrs={"class": "form-select"}))

"""Pages for signing in and out, resident sign-up, one's own profile and tokens, and people & roles."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import ratelimit
from core.api import error_response
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form
from core.navigation import landing_for
from core.pickers import ids, picker_response
from core.privacy import residents_among
from core.views import public
from org.selectors import community_by_code, community_search, division_get

from . import selectors, services
from .forms import (
    PeopleFilterForm,
    PhoneForm,
    ResidentSignUpForm,
    RoleGrantForm,
    SignInForm,
    StaffAccountForm,
    TokenForm,
)
from .models import PhoneVerification, Role
from .permissions import holds_any


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Where a person lands without a ``next``: the page their roles land on (a resident: My neighbourhood)."""
        landing = landing_for(self.request.user)
        return resolve_url(landing) if landing else super().get_default_redirect_url()

    def post(self, request, *args, **kwargs):
        """Every attempt counts against the address's allowance (axes separately locks an account
        after failed ones)."""
        ratelimit.hit("sign_in", ratelimit.client_address(request))
        return super().post(request, *args, **kwargs)


sign_in = public(SignInView.as_view())


@public
def back_office_sign_in(request):
    """The back office (/admin/) signs in through the one sign-in page, with its limit on attempts per
    address and its lockout after failed ones; a signed-in account without the back office is refused."""
    if request.user.is_authenticated:
        raise DjangoPermissionDenied
    return auth_views.redirect_to_login(request.GET.get("next") or "/admin/")


@public
def locked_out(request, credentials=None, *args, **kwargs):
    """What django-axes shows after too many failed sign-ins (a 429 with the reason)."""
    seconds, message = ratelimit.sign_in_lockout()
    if request.path.startswith("/api/"):
        response = error_response(429, "rate_limited", message)
    else:
        response = render(request, "accounts/locked_out.html", {"wait": ratelimit.wait_words(seconds)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


@public
def sign_up(request):
    """A resident signs up with their phone: ask for a code, then fill in the rest."""
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        ratelimit.hit("sign_up", ratelimit.client_address(request))
    form = ResidentSignUpForm(request.POST or None)
    community = None
    if request.method == "POST" and form.is_valid():
        community = community_by_code(code=form.cleaned_data["community_code"])
        if community is None:
            form.add_error(None, _("Choose your community from the list."))
        else:
            try:
                user = services.resident_register(
                    phone=form.cleaned_data["phone"], code=form.cleaned_data["code"],
                    password=form.cleaned_data["password"], display_name=form.cleaned_data["display_name"],
                    community=community,
                )
            except ApplicationError as error:
                add_error_to_form(form, error)
            else:
                login(request, user, backend="accounts.backends.UsernameOrPhoneBackend")
                messages.success(request, _("Welcome, %(name)s!") % {"name": user.label})
                return redirect(landing_for(user) or "home")
    elif request.method == "POST":
        community = community_by_code(code=request.POST.get("community_code", ""))
    return render(request, "accounts/sign_up.html", {"form": form, "community": community})


@public
@require_POST
def sign_up_send_code(request):
    """HTMX: text a code to the number typed so far; answers with a line of status."""
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/partials/code_status.html", {"error": form.errors["phone"][0]}, status=422)
    try:
        ratelimit.hit("phone_code", ratelimit.client_address(request))
        services.phone_code_send(phone=form.cleaned_data["phone"], purpose=PhoneVerification.Purpose.REGISTER)
    except ApplicationError as error:
        return render(request, "accounts/partials/code_status.html", {"error": error.message}, status=error.status)
    return render(request, "accounts/partials/code_status.html", {"sent": True, "minutes": settings.PHONE_CODE_TTL_MINUTES})


@public
def community_options(request):
    """HTMX: communities whose name contains the text typed (names and codes are public)."""
    q = (request.GET.get("q") or "").strip()[:50]
    communities = list(community_search(q=q)[:15]) if q else []
    return render(request, "accounts/partials/community_options.html", {"communities": communities, "q": q})


@login_required
def profile(request):
    token_form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and token_form.is_valid():
        _token, new_token = services.token_issue(
            actor=request.user, name=token_form.cleaned_data["name"], days=token_form.cleaned_data["days"],
            scope=token_form.cleaned_data["scope"],
        )
        token_form = TokenForm()
    return render(request, "accounts/profile.html", {
        "roles": selectors.my_roles(user=request.user),
        "tokens": selectors.my_tokens(user=request.user)[:20],
        "token_form": token_form,
        "new_token": new_token,
        "now": timezone.now(),
    })


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = selectors.my_token_get(user=request.user, pk=token_id)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


@login_required
def people(request):
    """Role assignments in the user's scope, with forms to grant roles and open accounts."""
    if not holds_any(request.user, "accounts.view_roleassignment"):
        raise NotFound()
    within = request.GET.get("within") or None
    role = request.GET.get("role") if request.GET.get("role") in Role.values else None
    within_division = division_get(user=request.user, code=within) if within else None
    assignments = selectors.role_assignment_list(user=request.user, within=within_division, role=role)
    page = Paginator(assignments, 30).get_page(request.GET.get("page"))
    grant_form = RoleGrantForm(prefix="grant")
    account_form = StaffAccountForm(prefix="account")
    if request.method == "POST":
        if "grant-person" in request.POST:
            grant_form = RoleGrantForm(request.POST, prefix="grant")
            if grant_form.is_valid() and _grant(request, grant_form):
                return HttpResponseRedirect(request.get_full_path())
        else:
            account_form = StaffAccountForm(request.POST, prefix="account")
            if account_form.is_valid() and _open_account(request, account_form):
                return HttpResponseRedirect(request.get_full_path())
    return render(request, "accounts/people.html", {
        "page": page, "filters": PeopleFilterForm(initial={"within": within or "", "role": role or ""}),
        "resident_ids": residents_among({a.user_id for a in page}),  # masked by core.privacy
        "grant_form": grant_form, "account_form": account_form,
        "can_grant": holds_any(request.user, "accounts.add_roleassignment"),
    })


def _grant(request, form) -> bool:
    data = form.cleaned_data
    try:
        division, organisation = selectors.grant_place_get(
            user=request.user, role=data["role"], division_code=data["division_code"] or None,
            organisation_id=data["organisation_id"],
        )
        try:
            user = selectors.person_get(user=request.user, pk=data["person"])
        except NotFound:
            form.add_error("person", _("Choose a person of your area from the list."))
            return False
        services.role_assign(actor=request.user, user=user, role=data["role"], division=division, organisation=organisation)
    except ApplicationError as error:
        add_error_to_form(form, error)
        return False
    messages.success(request, _("Role granted."))
    return True


def _open_account(request, form) -> bool:
    data = form.cleaned_data
    try:
        division, organisation = selectors.grant_place_get(
            user=request.user, role=data["role"], division_code=data["division_code"] or None,
            organisation_id=data["organisation_id"],
        )
        services.staff_account_create(
            actor=request.user, username=data["username"], password=data["password"],
            display_name=data["display_name"], phone=data["phone"] or None, role=data["role"],
            division=division, organisation=organisation,
        )
    except ApplicationError as error:
        add_error_to_form(form, error)
        return False
    messages.success(request, _("Account %(username)s opened.") % {"username": data["username"]})
    return True


@login_required
@require_POST
def role_revoke(request, assignment_id: int):
    assignment = selectors.role_assignment_get(user=request.user, pk=assignment_id)
    try:
        selectors.grant_place_get(
            user=request.user, role=assignment.role,
            division_code=assignment.division.code if assignment.division_id else None,
            organisation_id=assignment.organisation_id,
        )
        services.role_revoke(actor=request.user, assignment=assignment)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Role revoked."))
    return redirect("accounts:people")


def roles_card(user) -> dict | None:
    return {"roles": list(selectors.my_roles(user=user))}


@login_required
def pick_people(request):
    """People by name or mobile number, for pickers (JSON): ``within`` (a division's code), ``role``."""
    if not holds_any(request.user, "accounts.view_roleassignment"):
        raise NotFound()
    filters = {"within": division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else None,
               "role": request.GET.get("role") if request.GET.get("role") in Role.values else None}
    return picker_response(
        request, search=lambda q: selectors.person_options(user=request.user, q=q, **filters),
        lookup=lambda values: selectors.person_options(user=request.user, ids=ids(values), limit=len(values), **filters))

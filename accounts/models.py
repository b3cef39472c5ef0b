"""People and the roles they hold.

A ``User`` is one account for everything ("一号尽览"): staff sign in with a username, residents
with their phone number. What a user may see and do comes only from their active
``RoleAssignment`` rows: a role held at a division of the administrative tree, or at an
organisation for operator and charity staff. The rules that turn roles into permissions live
in ``accounts.permissions``.
"""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopeFields
from org.models import Division, Organisation

PHONE_RE = r"^1[3-9]\d{9}$"
phone_validator = RegexValidator(PHONE_RE, _("Enter a mainland mobile number of 11 digits, such as 13800138000."))


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(
        _("mobile phone"), max_length=11, unique=True, null=True, blank=True, validators=[phone_validator]
    )
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", _("civil-affairs supervisor")
    STREET_ADMIN = "street_admin", _("street administrator")
    COMMUNITY_WORKER = "community_worker", _("community worker")
    OPERATOR_STAFF = "operator_staff", _("operator staff")
    CHARITY_STAFF = "charity_staff", _("charity staff")
    FUND_COMMITTEE = "fund_committee", _("fund committee member")
    RESIDENT = "resident", _("resident")
    UNIT_STAFF = "unit_staff", _("staff of a unit in the area")


# Where each role may be held: at divisions of these levels, or at an organisation of this kind.
ROLE_DIVISION_LEVELS: dict[str, set[str]] = {
    Role.SUPERVISOR: {"city", "district"},
    Role.STREET_ADMIN: {"street"},
    Role.COMMUNITY_WORKER: {"community", "grid"},
    Role.FUND_COMMITTEE: {"community"},
    Role.RESIDENT: {"community"},
}
ROLE_ORGANISATION_KINDS: dict[str, str] = {
    Role.OPERATOR_STAFF: "operator",
    Role.CHARITY_STAFF: "charity",
    Role.UNIT_STAFF: "unit",
}
# Roles that work in the back office (Django admin) of their scope.
BACK_OFFICE_ROLES = {Role.SUPERVISOR, Role.STREET_ADMIN}


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    granted_by = models.ForeignKey(
        User, verbose_name=_("granted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()
    # A role held at an organisation sits where the organisation is registered.
    scope = ScopeFields(division=("division", "organisation__home_division"), organisation="organisation")

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(division__isnull=False) | Q(organisation__isnull=False),
                name="role_held_somewhere",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "division"],
                condition=Q(revoked_at__isnull=True, organisation__isnull=True),
                name="role_assignment_unique_at_division",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(revoked_at__isnull=True, organisation__isnull=False),
                name="role_assignment_unique_at_organisation",
            ),
        ]

    def __str__(self):
        place = self.organisation or self.division
        return f"{self.get_role_display()} @ {place}"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenScope(models.TextChoices):
    """What a token may do: everything its owner may (``full``), only read (``read``: GET), or only file
    feedback through Open311 (``open311``: the ``api_key`` of ``/open311/v2/``, refused by ``/api/v1/``)."""

    FULL = "full", _("full access")
    READ = "read", _("read only")
    OPEN311 = "open311", _("Open311 feedback only")


class ApiToken(models.Model):
    """A bearer token for API clients. Only its digest is stored; the token is shown once. Every token
    expires (``API_TOKEN_DAYS`` by default) and has a scope."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(_("scope"), max_length=16, choices=TokenScope.choices, default=TokenScope.FULL)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class PhoneVerification(models.Model):
    """A one-time code sent by text message to prove a phone number belongs to the person."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("registration")
        LOGIN = "login", _("login")

    phone = models.CharField(max_length=11, validators=[phone_validator], db_index=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.phone} ({self.get_purpose_display()})"

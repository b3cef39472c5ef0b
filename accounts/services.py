"""Writing accounts: users, role assignments, API tokens, phone verification, resident sign-up."""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, RateLimited, ValidationFailed
from core.services import clean_or_raise
from org.models import Division, DivisionLevel, Organisation

from .models import (
    BACK_OFFICE_ROLES,
    ROLE_DIVISION_LEVELS,
    ROLE_ORGANISATION_KINDS,
    ApiToken,
    PhoneVerification,
    RoleAssignment,
    TokenScope,
    User,
    token_digest,
)
from .permissions import forget_roles
from .sms import send_sms


def _password_errors(password: str, user: User | None = None) -> list[str]:
    try:
        validate_password(password, user)
    except DjangoValidationError as error:
        return [str(m) for m in error.messages]
    return []


@transaction.atomic
def user_create(
    *, actor, username: str, password: str | None, display_name: str = "", phone: str | None = None,
    email: str = "", check_password: bool = True,
) -> User:
    user = User(username=username.strip(), display_name=display_name.strip(), phone=phone or None, email=email)
    if password is not None and check_password:
        errors = _password_errors(password, user)
        if errors:
            raise ValidationFailed(fields={"password": errors})
    clean_or_raise(user, exclude=["password"])
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two sign-ups with the same name or phone at once: the database keeps the first.
        raise Conflict(_("This username or phone number is already registered.")) from None
    audit_record(actor=actor, action="accounts.user.created", target=user,
                 changes={"username": user.username, "display_name": user.display_name, "phone": user.phone})
    return user


def _check_role_place(role: str, division: Division | None, organisation: Organisation | None) -> None:
    levels = ROLE_DIVISION_LEVELS.get(role)
    kind = ROLE_ORGANISATION_KINDS.get(role)
    if levels is not None:
        if division is None or organisation is not None:
            raise ValidationFailed(fields={"division": [_("This role is held at a division.")]})
        if division.level not in levels:
            labels = ", ".join(str(DivisionLevel(level).label) for level in sorted(levels))
            raise ValidationFailed(fields={"division": [_("This role is held at a division of level: %(levels)s.") % {"levels": labels}]})
    elif kind is not None:
        if organisation is None:
            raise ValidationFailed(fields={"organisation": [_("This role is held at an organisation.")]})
        if organisation.kind != kind:
            raise ValidationFailed(fields={"organisation": [_("This role is held at an organisation of another kind.")]})


@transaction.atomic
def role_assign(
    *, actor, user: User, role: str, division: Division | None = None, organisation: Organisation | None = None
) -> RoleAssignment:
    _check_role_place(role, division, organisation)
    if RoleAssignment.objects.active().filter(user=user, role=role, division=division, organisation=organisation).exists():
        raise Conflict(_("%(user)s already holds this role there.") % {"user": user.label})
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user, role=role, division=division, organisation=organisation,
                granted_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise Conflict(_("%(user)s already holds this role there.") % {"user": user.label}) from None
    if role in BACK_OFFICE_ROLES and not user.is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=True)
        user.is_staff = True
    forget_roles(user)
    audit_record(
        actor=actor, action="accounts.role.assigned", target=assignment, division=division, organisation=organisation,
        changes={"user": user.username, "role": role},
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> RoleAssignment:
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.revoked_at is not None:
        raise Conflict(_("This role was already revoked."))
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["revoked_at"])
    user = assignment.user
    if user.is_staff and not user.is_superuser and not RoleAssignment.objects.active().filter(
        user=user, role__in=BACK_OFFICE_ROLES
    ).exists():
        User.objects.filter(pk=user.pk).update(is_staff=False)
    forget_roles(user)
    audit_record(
        actor=actor, action="accounts.role.revoked", target=assignment, division=assignment.division,
        organisation=assignment.organisation, changes={"user": user.username, "role": assignment.role},
    )
    return assignment


@transaction.atomic
def staff_account_create(
    *, actor, username: str, password: str, display_name: str, phone: str | None, role: str,
    division: Division | None = None, organisation: Organisation | None = None,
) -> RoleAssignment:
    """Open an account for a colleague and give it its role, together or not at all."""
    user = user_create(actor=actor, username=username, password=password, display_name=display_name, phone=phone)
    return role_assign(actor=actor, user=user, role=role, division=division, organisation=organisation)


@transaction.atomic
def token_issue(*, actor: User, name: str, days: int | None = None, scope: str = TokenScope.FULL,
                now=None) -> tuple[ApiToken, str]:
    """A new API token for ``actor``, valid for ``days`` (``API_TOKEN_DAYS`` unless given, at most
    ``API_TOKEN_MAX_DAYS``) with ``scope`` (``TokenScope``). The raw token is returned once and never stored."""
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationFailed(fields={"days": [_("A token is valid for 1 to %(most)s days.") % {"most": settings.API_TOKEN_MAX_DAYS}]})
    if scope not in TokenScope.values:
        raise ValidationFailed(fields={"scope": [_("Choose what the token may do.")]})
    raw = "ll_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name.strip() or "API", prefix=raw[:8], digest=token_digest(raw), scope=scope,
        expires_at=(now or timezone.now()) + timedelta(days=days),
    )
    audit_record(actor=actor, action="accounts.token.issued", target=token,
                 changes={"name": token.name, "scope": token.scope, "expires_at": token.expires_at})
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="accounts.token.revoked", target=token, changes={"name": token.name})
    return token


def _code_digest(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), "sha256").hexdigest()


@transaction.atomic
def phone_code_send(*, phone: str, purpose: str, now=None) -> PhoneVerification:
    """Text a 6-digit code to ``phone``; at most one every ``PHONE_CODE_RESEND_SECONDS`` and
    ``PHONE_CODES_PER_DAY`` a day per number (settings)."""
    now = now or timezone.now()
    recent = PhoneVerification.objects.select_for_update().filter(phone=phone, created_at__gte=now - timedelta(days=1))
    wait = settings.PHONE_CODE_RESEND_SECONDS
    if recent.filter(created_at__gte=now - timedelta(seconds=wait)).exists():
        raise RateLimited(_("A code was sent less than %(seconds)s seconds ago. Please wait before asking for another.") % {"seconds": wait},
                          retry_after=wait)
    if recent.count() >= settings.PHONE_CODES_PER_DAY:
        raise RateLimited(_("Too many codes for this number today. Please try again tomorrow."))
    code = f"{secrets.randbelow(1_000_000):06d}"
    verification = PhoneVerification(
        phone=phone, purpose=purpose, code_digest=_code_digest(phone, code), created_at=now,
        expires_at=now + timedelta(minutes=settings.PHONE_CODE_TTL_MINUTES),
    )
    clean_or_raise(verification, exclude=["code_digest"])
    verification.save()
    text = _("Your Linli verification code is %(code)s. It is valid for %(minutes)s minutes.") % {
        "code": code, "minutes": settings.PHONE_CODE_TTL_MINUTES}
    transaction.on_commit(lambda: send_sms(phone, str(text)))
    return verification


def phone_code_check(*, phone: str, purpose: str, code: str, now=None) -> PhoneVerification:
    """Accept ``code`` for ``phone`` once; wrong codes count against the attempts left."""
    now = now or timezone.now()
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if verification is None:
            raise ValidationFailed(fields={"code": [_("The code has expired or was never sent. Ask for a new one.")]})
        if verification.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
            raise RateLimited(_("Too many wrong codes. Ask for a new one."))
        if not hmac.compare_digest(verification.code_digest, _code_digest(phone, code.strip())):
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            wrong = True
        else:
            verification.used_at = now
            verification.save(update_fields=["used_at"])
            wrong = False
    # The attempt is counted even though the check fails, so the count is committed first.
    if wrong:
        raise ValidationFailed(fields={"code": [_("The code is not right.")]})
    return verification


def resident_register(
    *, phone: str, code: str, password: str, display_name: str, community: Division, now=None
) -> User:
    """A resident signs up with their phone number and joins their community."""
    if community.level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"community": [_("Choose a community or village.")]})
    if User.objects.filter(phone=phone).exists():
        raise Conflict(_("This phone number is already registered. Sign in instead."), fields={"phone": [_("Already registered.")]})
    candidate = User(username=phone, phone=phone, display_name=display_name)
    errors = _password_errors(password, candidate)
    if errors:
        raise ValidationFailed(fields={"password": errors})
    # The code is checked in its own transaction, so a wrong code counts even though sign-up fails.
    phone_code_check(phone=phone, purpose=PhoneVerification.Purpose.REGISTER, code=code, now=now)
    with transaction.atomic():
        user = user_create(actor="self-registration", username=phone, password=password,
                           display_name=display_name, phone=phone, check_password=False)
        user.phone_verified_at = now or timezone.now()
        user.save(update_fields=["phone_verified_at"])
        role_assign(actor=user, user=user, role="resident", division=community)
    return user

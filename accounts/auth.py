"""How API clients prove who they are: a session cookie (pages' own calls) or a bearer token.

A token does only what its scope allows (``TokenScope``): a ``read`` token reads (GET), an
``open311`` token files feedback through ``/open311/v2/`` and is refused here; anything else is a
403 saying so."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from core.errors import PermissionDenied

from .models import ApiToken, TokenScope, token_digest

READING = {"GET", "HEAD", "OPTIONS"}


def check_token_scope(token: ApiToken, method: str) -> None:
    """Refuse a call of ``/api/v1/`` the token's scope does not allow."""
    if token.scope == TokenScope.FULL or (token.scope == TokenScope.READ and method.upper() in READING):
        return
    if token.scope == TokenScope.READ:
        raise PermissionDenied(_("This token may only read: issue a token with full access to change anything."), code="token_scope")
    raise PermissionDenied(_("This token is for filing feedback through Open311 only."), code="token_scope")

# Token use is written back at most this often, so a busy client does not write on every call.
LAST_USED_RESOLUTION_SECONDS = 300


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` with a token issued by ``token_issue``."""

    def authenticate(self, request, token: str):
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), user__is_active=True)
            .first()
        )
        if found is None or not found.is_usable():
            return None
        check_token_scope(found, request.method)
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


# The session is accepted with CSRF checks on unsafe methods (ninja's SessionAuth does them).
session = SessionAuth()
bearer = BearerToken()
API_AUTH = [bearer, session]

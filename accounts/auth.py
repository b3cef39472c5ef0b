"""How API clients prove who they are: a session cookie (pages' own calls) or a bearer token.

A token does only what its scope allows (``TokenScope``): a ``read`` token reads (GET), an
``open311`` token files feedback through ``/open311/v2/`` and is refused here; anything else is a
403 saying so.

A client calls with the same token many times a minute, so the token, its user and the user's roles
are kept in the cache (``core.listcache``) and read from there, without a query, while nothing they
are made of has changed: any save or delete of a token, a user, a role assignment, a division or an
organisation (or its served divisions) starts a new generation and the next call reads them from
the database again. Revoking a token, closing an account or taking a role away is therefore seen
by the very next call; expiry is checked on every call against the time the token holds. A token
that is not found is never kept."""

import logging

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from core import listcache
from core.errors import PermissionDenied
from org.models import Division, Organisation

from .models import ApiToken, RoleAssignment, TokenScope, User, token_digest
from .permissions import active_roles

logger = logging.getLogger(__name__)

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
# What a token's holder is made of; a change of any of them is seen by the next call.
PRINCIPAL_MODELS = (ApiToken, User, RoleAssignment, Division, Organisation)
PRINCIPAL_SECONDS = 60


def _principal_key(digest: str) -> str:
    return f"apitoken:{digest}"


def token_holder(digest: str, *, now=None, request=None) -> ApiToken | None:
    """The token with this digest whose user is active, with ``token.user`` and the user's roles loaded:
    from the cache while none of ``PRINCIPAL_MODELS`` has changed since it was kept, else from the
    database. Its use is written back at most every ``LAST_USED_RESOLUTION_SECONDS``. With the
    ``request``, the same round trip reads ahead the list the request asks for, if it is a cached one."""
    key = _principal_key(digest)
    try:
        generations, token = listcache.read_kept(PRINCIPAL_MODELS, key, request=request, holder=digest)
    except Exception:  # noqa: BLE001 - the cache is a help, never a condition (nor a kept entry of older code)
        logger.warning("The token cache could not be read", exc_info=True)
        generations, token = None, None
    fresh = token is None
    if fresh:
        token = ApiToken.objects.select_related("user").filter(digest=digest, user__is_active=True).first()
        if token is None:
            return None
        active_roles(token.user)  # loaded onto the user, so kept with it
    now = now or timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # no signal: what is kept stays good
        token.last_used_at = now
        fresh = True
    if fresh and generations is not None:
        try:
            listcache.keep_value(key, generations, token, PRINCIPAL_SECONDS)
        except Exception:  # noqa: BLE001
            logger.warning("The token cache could not keep a token", exc_info=True)
    return token


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` with a token issued by ``token_issue``."""

    def authenticate(self, request, token: str):
        found = token_holder(token_digest(token), request=request)
        if found is None or not found.is_usable():
            return None
        check_token_scope(found, request.method)
        request.user = found.user
        listcache.accept_read_ahead(request)
        return found.user


# The session is accepted with CSRF checks on unsafe methods (ninja's SessionAuth does them).
session = SessionAuth()
bearer = BearerToken()
API_AUTH = [bearer, session]

"""How API clients prove who they are: a session cookie (pages' own calls) or a bearer token."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken, token_digest

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
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


# The session is accepted with CSRF checks on unsafe methods (ninja's SessionAuth does them).
session = SessionAuth()
bearer = BearerToken()
API_AUTH = [bearer, session]

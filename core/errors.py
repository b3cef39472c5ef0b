"""The one error hierarchy of Linli.

Services raise these when a request cannot be carried out; the API turns them into the one
JSON error shape (``code``, ``message`` in the request's language, ``fields``) and pages turn
them into form errors. Messages are lazy translations, so they are rendered in whatever
language the request asked for.
"""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A request that cannot be carried out, for a reason the client can act on."""

    status = 400
    code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None, extra: dict | None = None):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(str(self.message))

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the error (``Retry-After`` for a rate limit)."""
        return {}


class ValidationFailed(ApplicationError):
    """The input is wrong; ``fields`` says which field and why."""

    status = 422
    code = "validation_failed"
    default_message = _("Some of the data is not valid.")


class NotFound(ApplicationError):
    """The object does not exist, or exists outside the user's scope (we do not say which)."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(ApplicationError):
    """The user can see the object but their role does not allow this action."""

    status = 403
    code = "permission_denied"
    default_message = _("Your role does not allow this.")


class Conflict(ApplicationError):
    """The action collides with the current state (already done, taken, closed)."""

    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class RateLimited(ApplicationError):
    """Too many attempts; ``retry_after`` (seconds), when known, is sent as the ``Retry-After`` header."""

    status = 429
    code = "rate_limited"
    default_message = _("Too many attempts. Please wait and try again.")

    def __init__(self, message=None, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        if retry_after is not None:
            self.extra["retry_after"] = retry_after

    @property
    def headers(self) -> dict[str, str]:
        wait = self.extra.get("retry_after")
        return {"Retry-After": str(max(1, int(wait)))} if wait else {}


def fields_from_django_validation_error(error) -> dict[str, list[str]]:
    """Turn Django's ValidationError into our ``fields`` mapping."""
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}

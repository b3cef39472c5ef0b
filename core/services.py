"""Small helpers that every module's writing services share."""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed, fields_from_django_validation_error


def clean_or_raise(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's validation (fields, constraints, uniqueness) and raise our error if it fails."""
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as error:
        raise ValidationFailed(fields=fields_from_django_validation_error(error)) from None


def assign(instance: models.Model, data: dict[str, Any], *, allowed: set[str]) -> list[str]:
    """Set the given fields on ``instance``; refuse fields that may not be changed this way.

    A partial update (a PATCH) leaves out what it does not change; ``None`` for a column that
    cannot be empty is refused here, named, rather than failing in the database.
    """
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    nulls = sorted(name for name, value in data.items() if value is None and not _nullable(instance, name))
    if nulls:
        raise ValidationFailed(fields={name: [_("This field cannot be null.")] for name in nulls})
    for name, value in data.items():
        setattr(instance, name, value)
    return list(data)


def _nullable(instance: models.Model, name: str) -> bool:
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return True  # a property or a relation's other side: the model decides
    return field.null or not field.concrete


def require_filled(**values) -> None:
    """Refuse, field by field, the values that are empty or only spaces."""
    errors = {name: [_("This field is required.")] for name, value in values.items() if not str(value or "").strip()}
    if errors:
        raise ValidationFailed(fields=errors)

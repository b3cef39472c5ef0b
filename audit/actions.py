"""Readable names of audit actions, for people reading the trail. Each module adds its own."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "org.division.created": _("division added"),
    "org.division.updated": _("division changed"),
    "org.organisation.created": _("organisation registered"),
    "org.organisation.updated": _("organisation changed"),
    "accounts.user.created": _("account opened"),
    "accounts.role.assigned": _("role granted"),
    "accounts.role.revoked": _("role revoked"),
    "accounts.token.issued": _("API token issued"),
    "accounts.token.revoked": _("API token revoked"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action

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
    "rulepack.pack.loaded": _("rule pack loaded"),
    "ledger.account.opened": _("account opened in the ledger"),
    "ledger.account.closed": _("account closed in the ledger"),
    "ledger.transaction.posted": _("money posted"),
    "ledger.transaction.reversed": _("posting reversed"),
    "registry.site.created": _("site registered"),
    "registry.site.updated": _("site changed"),
    "registry.room.created": _("room added"),
    "registry.room.updated": _("room changed"),
    "registry.cost.recorded": _("cost recorded"),
    "registry.photo.added": _("photo added"),
    "registry.rating.changed": _("star rating changed"),
    "registry.rating.evidence": _("rating assessment recorded"),
    "registry.filing.filed": _("register filed"),
    "registry.provision.created": _("new project recorded"),
    "registry.provision.signed": _("project stage signed"),
    "registry.provision.delivered": _("project delivery filed"),
    "registry.provision.paid": _("monetisation payment recorded"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action

"""What the account itself holds of a person (``core.privacy``): the account, the roles held, the API
tokens and what the person did on the platform as the audit trail recorded it. Closing the account
anonymises the account itself (``services.account_close``); the trail stays (see there)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import ApiToken, RoleAssignment
from audit.changes import record_text
from audit.models import AuditEvent
from core.privacy import Rows, local_text, personal_data_source

TRAIL_ROWS = 2000


def _account(user):
    return ([_("Username"), pgettext_lazy("person", "Name"), _("Mobile number"), _("Email"), _("Signed up at"), _("Last signed in at"),
             _("Mobile number verified at")],
            [[user.username, user.display_name or user.get_full_name(), user.phone or "", user.email, local_text(user.date_joined),
              local_text(user.last_login), local_text(user.phone_verified_at)]])


def _roles(user):
    rows = RoleAssignment.objects.filter(user=user).select_related("division", "organisation").order_by("granted_at")
    return ([_("Role"), _("Held at"), _("Granted at"), _("Revoked at")],
            [[r.get_role_display(), r.organisation.name if r.organisation_id else r.division.name, local_text(r.granted_at),
              local_text(r.revoked_at)] for r in rows])


def _tokens(user):
    rows = ApiToken.objects.filter(user=user).order_by("created_at")
    return ([_("Name"), _("Begins with"), _("Created at"), _("Last used at"), _("Expires at"), _("Revoked at")],
            [[t.name, f"{t.prefix}…", local_text(t.created_at), local_text(t.last_used_at), local_text(t.expires_at),
              local_text(t.revoked_at)] for t in rows])


def _trail(user):
    from audit.actions import action_label

    events = AuditEvent.objects.filter(actor=user).select_related("division", "target_type").order_by("-at", "-id")[:TRAIL_ROWS]
    return ([_("time"), _("What I did"), _("record"), _("Division")],
            Rows(events, lambda e: [local_text(e.at), action_label(e.action), record_text(e), e.division.name if e.division_id else ""]))


personal_data_source("privacy.account", _("My account"), collect=_account, order=1)
personal_data_source("privacy.roles", _("My roles"), collect=_roles, order=2)
personal_data_source("privacy.tokens", _("My API tokens"), collect=_tokens, order=3)
personal_data_source("privacy.trail", _("What I did on the platform (the audit trail)"), collect=_trail, order=200)

"""What notifications keep of a person (``core.privacy``): the messages sent to them. Closing an account
deletes them; they concern nobody else."""

from django.utils.translation import gettext_lazy as _

from core.privacy import Rows, local_text, personal_data_source

from .models import Notification


def _notifications(user):
    messages = Notification.objects.filter(user=user).order_by("created_at", "id")
    return ([_("Title"), _("Text"), _("Sent at"), _("Read at")],
            Rows(messages, lambda n: [n.title, n.body, local_text(n.created_at), local_text(n.read_at)]))


def _erase(user, now) -> int:
    return Notification.objects.filter(user=user).delete()[0]


personal_data_source("notifications", _("Messages sent to me"), collect=_notifications, erase=_erase, order=90)

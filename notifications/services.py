"""Telling people what happened: an in-app notification, and an email when one can be sent."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


def notify(*, user, title: str, body: str = "", url: str = "") -> Notification:
    """Write the notification now; the email (if any) leaves after the transaction commits."""
    notification = Notification.objects.create(user=user, title=str(title)[:200], body=str(body), url=url)
    if user.email and settings.EMAIL_URL:
        transaction.on_commit(lambda: send_mail(str(title), f"{body}\n\n{url}".strip(), None, [user.email], fail_silently=True))
    return notification


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())

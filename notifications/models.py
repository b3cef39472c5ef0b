"""In-app notifications: what happened to a person's requests (a booking approved, a slot offered).

Each notification is for one user; the bell in the menu shows the unread ones. When an email
server is configured (EMAIL_URL) and the user has an address, the same text goes by email.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopeFields


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    scope = ScopeFields(owner="user")

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.title

"""The notifications page: what happened to my requests; opening it marks them read."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import services
from .models import Notification


@login_required
def notification_list(request):
    notifications = list(Notification.objects.filter(user=request.user)[:50])
    return render(request, "notifications/list.html", {"notifications": notifications})


@login_required
@require_POST
def mark_read(request):
    services.notifications_mark_read(user=request.user)
    return redirect("notifications:list")


def unread_count(request) -> dict:
    """Template context: the bell's count."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}

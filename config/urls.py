"""URLs: pages of each module, the API under /api/, the back office under /admin/."""

from django.contrib import admin
from django.urls import include, path

from accounts.views import back_office_sign_in
from core import views as core_views

from .api import api

urlpatterns = [
    path("", core_views.home, name="home"),
    # Probes for a load balancer and for monitoring (docs/deployment.md, "Health and metrics").
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("", include("org.urls")),
    path("audit/", include("audit.urls")),
    path("excel/", include("excel.urls")),
    path("registry/", include("registry.urls")),
    path("rules/", include("rulepack.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("funds/", include("funds.urls")),
    path("operations/", include("operations.urls")),
    path("planning/", include("planning.urls")),
    path("notifications/", include("notifications.urls")),
    path("neighbourhood/", include("neighbourhood.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("supervision/", include("supervision.urls")),
    path("governance/", include("governance.urls")),
    path("privacy/", include("privacy.urls")),
    path("open311/v2/", include("neighbourhood.open311")),
    path("api/", api.urls),
    path("admin/login/", back_office_sign_in),  # the one sign-in page: its rate limit and lockout
    path("admin/", admin.site.urls),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

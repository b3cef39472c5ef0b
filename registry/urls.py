from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.registry_root, name="root"),
    path("ratings/", views.rating_list, name="ratings"),
    path("filings/", views.filing_list, name="filings"),
    path("filings/<int:filing_id>/", views.filing_detail, name="filing"),
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("sites/<int:site_id>/", views.site_detail, name="site"),
    path("sites/<int:site_id>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:site_id>/rooms/new/", views.room_create, name="room_create"),
    path("sites/<int:site_id>/costs/", views.cost_add, name="cost_add"),
    path("sites/<int:site_id>/photos/", views.photo_add, name="photo_add"),
    path("sites/<int:site_id>/evidence/", views.evidence_add, name="evidence_add"),
    path("sites/<int:site_id>/online/", views.online_switch, name="online_switch"),
    path("rooms/<int:room_id>/edit/", views.room_edit, name="room_edit"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("pick/rooms/", views.pick_rooms, name="pick_rooms"),
    path("pick/sites/", views.pick_sites, name="pick_sites"),
    path("signs/", views.signs_root, name="signs_root"),
    path("signs/at/<str:code>/", views.signs, name="signs"),
    path("signs/<int:sign_id>/remove/", views.sign_remove, name="sign_remove"),
    path("signs/<int:sign_id>/photo/", views.sign_photo, name="sign_photo"),
    path("signs/cleanups/<int:cleanup_id>/", views.cleanup_detail, name="cleanup"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("suggestions/<int:suggestion_id>/decide/", views.suggestion_decide, name="suggestion_decide"),
    path("<str:code>/", views.overview, name="overview"),
    path("<str:code>/compliance/", views.compliance, name="compliance"),
    path("<str:code>/sites/", views.site_list, name="sites"),
    path("<str:code>/sites/new/", views.site_create, name="site_create"),
    path("<str:code>/earmarked/", views.earmarked, name="earmarked"),
]

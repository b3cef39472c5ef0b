from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("divisions/", views.division_root, name="divisions"),
    path("divisions/<str:code>/", views.division_detail, name="division"),
    path("divisions/<str:code>/edit/", views.division_edit, name="division_edit"),
    path("divisions/<str:code>/add/", views.division_add_child, name="division_add"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:organisation_id>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:organisation_id>/edit/", views.organisation_edit, name="organisation_edit"),
    path("pick/divisions/", views.pick_divisions, name="pick_divisions"),
    path("pick/organisations/", views.pick_organisations, name="pick_organisations"),
]

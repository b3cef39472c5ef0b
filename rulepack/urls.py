from django.urls import path

from . import views

app_name = "rulepack"
urlpatterns = [
    path("", views.pack_active, name="active"),
    path("edit/", views.pack_edit, name="edit"),
    path("versions/<int:pack_id>/", views.pack_version, name="version"),
]

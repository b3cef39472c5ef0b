from django.urls import path

from . import views

app_name = "rulepack"
urlpatterns = [
    path("", views.pack_active, name="active"),
    path("rule/<str:rule_key>/", views.rule_edit, name="rule"),
    path("add/<slug:kind>/", views.rule_add, name="add"),
    path("file/", views.pack_file, name="file"),
    path("versions/<int:pack_id>/", views.pack_version, name="version"),
    path("versions/<int:pack_id>/file/", views.pack_version_file, name="version_file"),
]

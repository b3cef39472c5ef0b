from django.urls import path

from . import views

app_name = "funds"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit.xlsx", views.audit_export, name="audit_export"),
    path("projects/<int:fund_project_id>/", views.project_detail, name="project"),
    path("evidence/<int:evidence_id>/scan", views.evidence_file, name="evidence_file"),
    path("public/<str:code>/", views.disclosure, name="disclosure"),
    path("found/<str:code>/", views.found, name="found"),
    path("pick/places/", views.pick_places, name="pick_places"),
    path("pick/members/", views.pick_members, name="pick_members"),
    path("<str:code>/", views.fund_detail, name="fund"),
]

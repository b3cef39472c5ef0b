from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("affairs/", views.affairs_home, name="affairs"),
    path("affairs/<str:district_code>/", views.affair_list, name="affair_list"),
    path("applications/<int:affair_application_id>/", views.application_detail, name="application"),
    path("projects/", views.projects_home, name="projects"),
    path("projects/<int:partnership_project_id>/", views.project_detail, name="project"),
]

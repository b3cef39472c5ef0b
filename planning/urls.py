from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.home, name="home"),
    path("networks/<int:network_id>/", views.network_detail, name="network"),
    path("demand/<int:demand_id>/", views.demand_detail, name="demand"),
    path("scenarios/<int:scenario_id>/", views.scenario_detail, name="scenario"),
    path("scenarios/<int:scenario_id>/compare/<int:other_id>/", views.scenario_compare, name="compare"),
    path("scenarios/<int:scenario_id>/export/<str:register_name>/", views.scenario_export, name="export"),
    path("scenarios/<int:scenario_id>/delete/", views.scenario_delete, name="delete"),
    path("<str:code>/", views.area, name="area"),
]

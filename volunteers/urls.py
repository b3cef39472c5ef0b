from django.urls import path

from . import views

app_name = "volunteers"

urlpatterns = [
    # Residents (phone pages).
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("hours/", views.hours, name="hours"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:team_id>/join/", views.team_join, name="team_join"),
    path("opportunities/<int:opportunity_id>/", views.opportunity, name="opportunity"),
    path("opportunities/<int:opportunity_id>/apply/", views.apply, name="apply"),
    path("opportunities/<int:opportunity_id>/sign/", views.sign, name="sign"),
    path("applications/<int:application_id>/withdraw/", views.withdraw, name="withdraw"),
    # Organisers.
    path("desk/", views.desk, name="desk"),
    path("desk/<str:code>/", views.staff, name="staff"),
    path("new/", views.opportunity_new, name="opportunity_new"),
    path("teams/new/", views.team_new, name="team_new"),
    path("manage/<int:opportunity_id>/", views.manage, name="manage"),
    path("manage/<int:opportunity_id>/code/", views.code_panel, name="code"),
    path("manage/<int:opportunity_id>/confirm-all/", views.confirm_all, name="confirm_all"),
    path("applications/<int:application_id>/decide/", views.decide, name="decide"),
    path("records/<int:record_id>/confirm/", views.confirm, name="confirm"),
]

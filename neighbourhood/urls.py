from django.urls import path

from . import views

app_name = "neighbourhood"
urlpatterns = [
    # Residents, on their phones.
    path("", views.home, name="home"),
    path("activities/", views.activities, name="activities"),
    path("activities/<int:activity_id>/", views.activity_detail, name="activity"),
    path("activities/<int:activity_id>/check-in/", views.activity_check_in, name="check_in"),
    path("me/registrations/", views.my_registrations, name="registrations"),
    path("me/household/", views.household, name="household"),
    path("needs/", views.needs, name="needs"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:need_id>/", views.need_detail, name="need"),
    path("services/", views.order_new, name="order_new"),
    path("orders/", views.my_orders, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("orders/<int:order_id>/join/", views.order_join, name="order_join"),
    path("feedback/", views.feedback, name="feedback"),
    path("feedback/<int:feedback_id>/", views.feedback_detail, name="feedback_detail"),
    path("feedback/<int:feedback_id>/photo/", views.feedback_photo, name="feedback_photo"),
    # Staff and operators.
    path("staff/", views.staff, name="staff"),
    path("pick/operators/", views.pick_operators, name="pick_operators"),
    path("staff/invitations/", views.invitations, name="invitations"),
    path("staff/activities/<int:activity_id>/", views.activity_manage, name="manage"),
    path("staff/activities/<int:activity_id>/qr.svg", views.activity_qr, name="qr"),
    path("staff/<str:code>/needs/", views.staff_needs, name="staff_needs"),
    path("staff/<str:code>/orders/", views.staff_orders, name="staff_orders"),
    path("staff/<str:code>/activities/", views.staff_activities, name="staff_activities"),
    path("staff/<str:code>/activities/new/", views.activity_new, name="activity_new"),
    path("staff/<str:code>/feedback/", views.staff_feedback, name="staff_feedback"),
    path("staff/<str:code>/person-times/", views.staff_person_times, name="person_times"),
]

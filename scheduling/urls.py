from django.urls import path

from . import views

app_name = "scheduling"
urlpatterns = [
    path("", views.home, name="home"),
    path("approvals/", views.approvals, name="approvals"),
    path("bookings/", views.bookings, name="bookings"),
    path("search/", views.search, name="search"),
    path("rotations/", views.rotations, name="rotations"),
    path("utilisation/", views.utilisation, name="utilisation"),
    path("bookings/<int:booking_id>/", views.booking_detail, name="booking"),
    path("rooms/<int:room_id>/", views.room_calendar, name="room"),
    path("rooms/<int:room_id>/waitlist/", views.waitlist_join, name="waitlist"),
    path("rooms/<int:room_id>/rules/", views.room_rules, name="room_rules"),
    path("open/", views.open_resources, name="open_resources"),
    path("open/new/", views.open_resource_new, name="open_resource_new"),
    path("open/report/", views.open_report, name="open_report"),
    path("open/<int:resource_id>/", views.open_resource_detail, name="open_resource"),
    path("open/<int:resource_id>/edit/", views.open_resource_edit, name="open_resource_edit"),
    path("open/<int:resource_id>/withdraw/", views.open_resource_withdraw, name="open_resource_withdraw"),
    path("open/requests/<int:booking_id>/decide/", views.open_booking_decide, name="open_booking_decide"),
    path("organisations/<int:organisation_id>/feed/", views.organisation_feed, name="organisation_feed"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical"),
    path("<str:code>/rooms/", views.rooms, name="rooms"),
    path("<str:code>/calendar/", views.division_calendar, name="calendar"),
]

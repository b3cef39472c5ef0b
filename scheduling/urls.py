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
    path("organisations/<int:organisation_id>/feed/", views.organisation_feed, name="organisation_feed"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical"),
    path("<str:code>/rooms/", views.rooms, name="rooms"),
    path("<str:code>/calendar/", views.division_calendar, name="calendar"),
]

from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.home, name="home"),
    path("<str:code>/", views.board, name="board"),
    path("<str:code>/<str:indicator_key>/", views.indicator, name="indicator"),
]

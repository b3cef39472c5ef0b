from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("download/", views.download, name="download"),
    path("close/", views.close, name="close"),
    path("closed/", views.closed, name="closed"),
]

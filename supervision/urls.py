from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/draft/", views.notice_draft, name="notice_draft"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/publish/", views.notice_publish, name="notice_publish"),
    path("notices/<int:pk>/answer/<int:receipt_id>/", views.notice_respond, name="notice_respond"),
    path("<str:code>/", views.board, name="board"),
    path("<str:code>/<str:indicator_key>/", views.indicator, name="indicator"),
]

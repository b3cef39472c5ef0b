from django.contrib.auth import views as auth_views
from django.urls import path

from core.views import public

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("sign-up/", views.sign_up, name="sign_up"),
    path("sign-up/code/", views.sign_up_send_code, name="sign_up_code"),
    path("sign-up/communities/", views.community_options, name="community_search"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("people/", views.people, name="people"),
    path("people/roles/<int:assignment_id>/revoke/", views.role_revoke, name="role_revoke"),
    path("people/pick/", views.pick_people, name="pick_people"),
]

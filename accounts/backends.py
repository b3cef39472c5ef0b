"""Sign-in with a username or a mainland mobile number, and the same password."""

import re

from django.contrib.auth.backends import ModelBackend

from .models import PHONE_RE, User


class UsernameOrPhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        username = username.strip()
        if re.match(PHONE_RE, username):
            user = User.objects.filter(phone=username).first()
        else:
            user = User.objects.filter(username=username).first()
        if user is None:
            # Run the hasher anyway so that timing does not tell which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

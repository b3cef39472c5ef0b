"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import every view and build the API now, while the worker boots, not in its first request: a
# worker that replaces a dead one (or a new one after a restart) would otherwise keep that request,
# and those queued behind it, waiting for seconds.
from django.urls import get_resolver  # noqa: E402

get_resolver().resolve("/")

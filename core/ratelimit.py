"""Rate limits: how often one address (or account, or phone number) may do one thing.

One helper for every limit of the platform. A limit is a setting read from the environment
(``RATE_LIMITS`` in ``config/settings.py``: ``"20/10m"`` is 20 times in 10 minutes), counted in
fixed windows in the Django cache — Redis in production, so every app server counts together; an
atomic ``INCR`` there, so two requests at once are both counted. Past the limit the caller gets
``RateLimited`` (429): the API answers it in its error shape, pages with the error page.

    ratelimit.hit("sign_in", client_address(request))
    ratelimit.hit("feedback", client_address(request), f"user:{request.user.pk}")

What it limits is the number of attempts, good or bad; django-axes locks an account after failed
sign-ins, and phone codes have their own per-number limits in ``accounts.services``.
"""

import hashlib
import math
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .errors import RateLimited

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


def parse_rate(value: str) -> tuple[int, int]:
    """``"20/10m"`` → (20, 600): that many attempts in that many seconds. Refuses anything else loudly."""
    found = RATE_RE.match(value or "")
    if not found or int(found.group(1)) < 1 or (found.group(2) and int(found.group(2)) < 1):
        raise ImproperlyConfigured(f"A rate limit is a count over a period such as 20/10m, 5/h or 100/d, not {value!r}")
    return int(found.group(1)), int(found.group(2) or 1) * UNITS[found.group(3)]


def client_address(request) -> str:
    """The address a request came from (``core.middleware.client_ip``: behind proxies, set ``PROXY_COUNT``)."""
    from .middleware import client_ip

    return f"ip:{client_ip(request) or 'unknown'}"


def wait_words(seconds: int) -> str:
    """A wait in a person's words: 40 seconds, 15 minutes, 2 hours."""
    if seconds < 60:
        return _("%(n)s seconds") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)s minutes") % {"n": math.ceil(seconds / 60)}
    return _("%(n)s hours") % {"n": math.ceil(seconds / 3600)}


def sign_in_lockout() -> tuple[int, str]:
    """How long an account stays locked on a device after too many failed sign-ins (``AXES_COOLOFF_TIME``):
    the seconds, for ``Retry-After``, and the message that says so."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return seconds, _("Too many failed sign-ins. Please wait %(wait)s and try again.") % {"wait": wait_words(seconds)}


def hit(name: str, *keys: str, now: float | None = None) -> None:
    """Count one attempt at ``name`` for each key (an address, an account, a phone number); raise
    ``RateLimited`` when any of them has gone past the limit ``RATE_LIMITS[name]`` in this window.

    Every key is counted even when an earlier one is over, so a flood from one address also uses up
    the account's allowance and the other way round."""
    count, seconds = parse_rate(settings.RATE_LIMITS[name])
    now = time.time() if now is None else now
    window = int(now // seconds)
    over = False
    for key in keys:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        cache_key = f"ratelimit:{name}:{window}:{digest}"
        # add() starts the count only if none is there; incr() is atomic in Redis.
        cache.add(cache_key, 0, timeout=seconds + 1)
        try:
            attempts = cache.incr(cache_key)
        except ValueError:  # the entry expired between the two calls
            cache.set(cache_key, 1, timeout=seconds + 1)
            attempts = 1
        over = over or attempts > count
    if over:
        wait = max(1, int((window + 1) * seconds - now))
        raise RateLimited(_("Too many attempts from here. Please try again in %(wait)s.") % {"wait": wait_words(wait)},
                          retry_after=wait)

"""Reads from a streaming read replica, where they are safe; everything else from the primary.

With ``DATABASE_REPLICA_URL`` set (config/settings.py) the database alias ``replica`` is a
PostgreSQL hot standby of ``default``, and ``ReplicaRouter`` decides query by query:

- **Writes always go to the primary**, and so does every read that is not inside a block
  marked replica-safe: ``@replica_reads`` on a page or an API operation (the dashboards and the
  lists), or ``with reading_from_replica():`` in code.
- Inside such a block a read goes to the replica only while none of these holds: the request is
  not a GET or HEAD; the client wrote in the last ``DATABASE_REPLICA_PIN_SECONDS`` (a short cookie
  after any POST, PUT, PATCH or DELETE, and for a signed-in user a cache key every app server
  sees, so API clients without cookies are pinned too); this request has written already (read
  after write); the primary is inside ``transaction.atomic`` (a service's reads, and
  ``select_for_update``, which Django sends to the write database anyway); the model belongs to an
  app whose freshness is a matter of security (users, roles and tokens, sessions, sign-in
  throttling, the task queue); the replica is unreachable, not streaming, or further behind than
  ``DATABASE_REPLICA_MAX_LAG_SECONDS`` (checked at most every ``HEALTH_SECONDS`` per process).
- A replica-safe view that fails with a database error before writing anything runs once more
  on the primary (it only read, so that is safe): a replica going down, or a query the replica
  cancels for a conflict with recovery, costs no request. A replica found down is not read from
  until the next check finds it fit.
- Migrations run on the primary only; the replica receives them by streaming.

Without a replica the router and the middleware are not installed and nothing changes. The
``replica`` alias still exists then, as a copy of the primary's settings that nothing reads from,
so that tests can mirror it (``TEST: {"MIRROR": "default"}``).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD")
PIN_COOKIE = "linli_primary"
# Apps whose rows decide who may do what, or whose queue a worker takes from: always read fresh.
PRIMARY_ONLY_APPS = frozenset({"accounts", "auth", "sessions", "axes", "contenttypes", "django_tasks_db", "admin"})
# How often one process asks the replica how far behind it is.
HEALTH_SECONDS = 2.0


@dataclass
class _Block:
    """One replica-safe block: reads may go to the replica until something is written."""

    wrote: bool = False


_block: contextvars.ContextVar[_Block | None] = contextvars.ContextVar("linli_replica_block", default=None)


def enabled() -> bool:
    """Whether this deployment has a read replica (``DATABASE_REPLICA_URL``)."""
    return bool(getattr(settings, "READ_REPLICA", False))


@contextmanager
def reading_from_replica():
    """Within this block, reads outside a transaction may go to the replica (if there is one).
    Yields the block's state (``wrote``: something was written in it)."""
    outer = _block.get()
    if outer is not None:
        yield outer
        return
    block = _Block()
    token = _block.set(block)
    try:
        yield block
    finally:
        _block.reset(token)


def reads_go_to_replica(model=None) -> bool:
    """Whether a read of ``model`` made now would go to the replica."""
    block = _block.get()
    if block is None or block.wrote:
        return False
    if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
        return False
    return not in_transaction()


def in_transaction() -> bool:
    """Whether the primary's connection is inside ``transaction.atomic`` (not counting the blocks a
    test case wraps each test in, which Django itself sets apart the same way for ``durable``)."""
    return any(not block._from_testcase for block in connections[DEFAULT_DB_ALIAS].atomic_blocks)


class ReplicaRouter:
    """The database router of a deployment with a read replica (``DATABASE_ROUTERS``)."""

    def db_for_read(self, model, **hints):
        # Explicitly the primary otherwise: an object read from the replica must not send the
        # reads of its relations there once the block is over.
        return REPLICA if reads_go_to_replica(model) else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        block = _block.get()
        if block is not None:
            block.wrote = True  # what this request reads from now on, it reads from the primary
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None


# -- Is the replica fit to read from? ----------------------------------------------------------

LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
       COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
"""


def replica_lag() -> float | None:
    """How many seconds the replica is behind the primary; ``None`` when it cannot be read or
    does not stream from a primary (so it may be behind by any amount). 0 when it has replayed
    everything it received, and for a database that is not a standby (a test mirror)."""
    connection = connections[REPLICA]
    try:
        if connection.vendor != "postgresql":
            return 0.0
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, streaming, caught_up, behind = cursor.fetchone()
    except Error:
        logger.debug("The read replica cannot be reached", exc_info=True)
        _close_quietly(connection)
        return None
    if not in_recovery:
        return 0.0
    if not streaming:
        return None
    return 0.0 if caught_up else float(behind)


_health = {"at": float("-inf"), "fit": False}
_health_lock = threading.Lock()


def replica_fit() -> bool:
    """Whether the replica is reachable, streaming and within the allowed lag. Asked at most every
    ``HEALTH_SECONDS`` per process, by one thread; the others keep the last answer meanwhile."""
    with _health_lock:
        first = _health["at"] == float("-inf")
        if time.monotonic() - _health["at"] < HEALTH_SECONDS:
            return _health["fit"]
        _health["at"] = time.monotonic()
        was_fit = _health["fit"] or first
    lag = replica_lag()
    fit = lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    if fit != was_fit:
        if fit:
            logger.info("The read replica is fit again (%.1f s behind); reading from it", lag)
        else:
            logger.warning("The read replica is %s; reading from the primary",
                           "unavailable" if lag is None else f"{lag:.1f} s behind")
    with _health_lock:
        _health.update(at=time.monotonic(), fit=fit)
    return fit


def replica_failed() -> bool:
    """After a database error in a replica-safe view: whether the replica is down (then it is not read
    from until the next check finds it fit), rather than the query or the primary at fault."""
    _close_quietly(connections[REPLICA])  # a connection that failed once is asked nothing more
    if replica_lag() is not None:
        return False
    with _health_lock:
        _health.update(at=time.monotonic(), fit=False)
    return True


def _close_quietly(connection) -> None:
    with suppress(Error):
        connection.close()


def forget_health() -> None:
    """Ask the replica again at the next request (tests, after a change of settings)."""
    _health.update(at=float("-inf"), fit=False)


# -- Clients that wrote read from the primary for a while ---------------------------------------

def _pin_key(user_id) -> str:
    return f"replica-pin:{user_id}"


def _user_id(request):
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def client_pinned(request) -> bool:
    """Whether the client wrote recently enough that its reads must see the primary."""
    if request.COOKIES.get(PIN_COOKIE):
        return True
    user_id = _user_id(request)
    if user_id is None:
        return False
    try:
        return cache.get(_pin_key(user_id)) is not None
    except Exception:  # the cache is down: assume the worst, the primary is always right
        logger.warning("Cannot read the replica pin from the cache", exc_info=True)
        return True


def pin_client(request, response) -> None:
    """After a write: this client reads from the primary for ``DATABASE_REPLICA_PIN_SECONDS``."""
    seconds = settings.DATABASE_REPLICA_PIN_SECONDS
    response.set_cookie(PIN_COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
    user_id = _user_id(request)
    if user_id is not None:
        try:
            cache.set(_pin_key(user_id), 1, seconds)
        except Exception:
            logger.warning("Cannot write the replica pin to the cache", exc_info=True)


class PinToPrimaryMiddleware:
    """Pins a client to the primary after each request that may have written (installed with a replica)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and enabled():
            pin_client(request, response)
        return response


def may_read_replica(request) -> bool:
    """Whether a replica-safe view may read from the replica for this request."""
    return (enabled() and request.method in SAFE_METHODS and not client_pinned(request)
            and replica_fit())


def replica_reads(view):
    """Mark a page or an API operation replica-safe: it only reads, and a second's staleness is
    fine for it (dashboards, lists). Under ``@router.get`` and above ``@paginate``, so that the
    page of results is read inside it. Who the user is, is settled before (from the primary)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_read_replica(request):
            return view(request, *args, **kwargs)
        try:
            with reading_from_replica() as block:
                return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError):
            if block.wrote:
                raise  # it failed on the primary, after a write: not ours to repeat
            down = replica_failed()
            logger.warning("The read replica failed during %s%s; reading it again from the primary", request.path,
                           " (it is down)" if down else "")
        return view(request, *args, **kwargs)  # it only read, so doing it again is safe

    wrapper.replica_safe = True
    return wrapper

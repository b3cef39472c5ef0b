"""The answers of the busiest list operations kept in the cache (Redis in production) until what they show changes.

A resident's phone asks for the activities of their community every time a page opens; thousands of
residents of one community ask for the same page of the same list. ``@cached_list`` keeps the
serialized answer (the JSON bytes) of such an operation and answers the next identical request from
the cache without touching the database:

- **Who may see what** is part of the key: the user's reach for each permission the operation
  checks (the divisions, organisation or own rows their roles give, ``accounts.permissions.reaches``;
  the rows' permission and that of a division filter), never the user as such, so everyone in one
  community shares one entry while a neighbour's community, an operator or the city gets their own.
  A change of roles changes the reach, so the key.
- **What is asked** is part of the key: the whole query string (filters, page, page size), and the
  language of the answer.
- **Freshness** is a generation per model the answer is made of (``models``, which the app also
  ``watch``-es in its ``AppConfig.ready``, so that the worker and commands, which never import the
  API, start generations too). Any save or delete of such a row starts a new generation at once and
  again when its transaction commits (a reader in between may have read the old rows); a bulk build
  or import runs ``with paused():`` and starts one per model at its end. An answer is kept with the
  generations it was made at and served only while they are still current (one round trip reads
  both), so an answer made before a change is never served after it, even when it was stored last.
  Changes that bypass the model's signals (``QuerySet.update``, ``bulk_create``) call
  ``changed(Model)`` themselves. Entries also expire after ``seconds`` (a minute by default).
  ``read_kept`` and ``keep_value`` serve any other value made of rows the same way (an API token
  with its user and roles: ``accounts.auth.token_holder``).
- **One round trip** answers a client calling again with its API token: reading the kept token
  (``read_kept(..., request=, holder=)``) reads ahead, in the same round trip, the generations of
  the list the request's route serves and the answer kept for this holder and query (its own copy,
  kept beside the shared one and made at the generations of both the token's and the list's
  models), so the list is answered without a second trip to find the holder's reach.
- **A read replica** may be behind the primary: an answer read from it within the replica's allowed
  lag of a new generation is served but not kept, so a page made of rows the replica had not yet
  replayed never outlives its request.

Only answers with status 200 are kept. The cache being down is not an error: the request is answered
from the database as if nothing were cached (the readiness endpoint reports Redis).
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import time
from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

PREFIX = "listcache"
DEFAULT_SECONDS = 60
_ATTRIBUTE = "_linli_cached_list"  # the request's (key, seconds) when its answer is to be kept
_watched: set[type[Model]] = set()


def _generation_key(model: type[Model]) -> str:
    return f"{PREFIX}:generation:{model._meta.label_lower}"


_paused: contextvars.ContextVar[set | None] = contextvars.ContextVar("listcache_paused", default=None)


@contextmanager
def paused():
    """A bulk build or import: the rows changed inside start no generation one by one (each costs two
    writes to the cache); every model changed starts one new generation at the end."""
    models: set[type[Model]] = set()
    token = _paused.set(models)
    try:
        yield
    finally:
        _paused.reset(token)
        for model in models:
            changed(model)


def changed(model: type[Model]) -> None:
    """Start a new generation of ``model``'s cached answers, now and when the transaction commits."""
    pending = _paused.get()
    if pending is not None:
        pending.add(model)
        return
    key = _generation_key(model)

    def bump():
        try:
            cache.set(key, time.time_ns(), None)
        except Exception:  # noqa: BLE001 - a cache that is down holds nothing stale either
            logger.warning("Could not start a new generation of %s in the cache", model._meta.label, exc_info=True)

    bump()
    transaction.on_commit(bump)


def _on_change(sender, **kwargs):
    changed(sender)


def watch(*models: type[Model]) -> None:
    """Start new generations when rows of ``models`` are saved or deleted, or their many-to-many links
    change (idempotent)."""
    for model in models:
        if model in _watched:
            continue
        label = model._meta.label_lower
        post_save.connect(_on_change, sender=model, dispatch_uid=f"listcache-save-{label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"listcache-delete-{label}")
        for field in model._meta.many_to_many:
            m2m_changed.connect(functools.partial(_on_links_change, model), sender=field.remote_field.through, weak=False,
                                dispatch_uid=f"listcache-links-{label}-{field.name}")
        _watched.add(model)


def _on_links_change(watched: type[Model], sender, action: str, **kwargs):
    if action.startswith("post_"):
        changed(watched)


_ROUTES: dict[str, tuple[str, list[str]]] = {}  # a cached list's route -> its operation and generation keys
_READ_AHEAD = "_linli_list_read_ahead"  # the request's (holder, holder's generations, what was read ahead)
_READ_AHEAD_PENDING = "_linli_list_read_ahead_pending"  # the same, until the holder is accepted


def read_kept(models: tuple[type[Model], ...], key: str, *, request=None, holder: str = ""):
    """In one round trip: the current generation of each model (a model with none gets one now) and the
    value kept under ``key`` if it was made at exactly these generations (else None).

    With the ``request`` and a ``holder`` (what the key is kept for, e.g. an API token's digest), the
    same round trip reads ahead what the cached list at the request's route would read, so that list
    answers from it (see ``cached_list``) once the caller has said the holder is accepted
    (``accept_read_ahead``): a refused token reads nothing for the request, whoever else signs it in."""
    generation_keys = [_generation_key(model) for model in models]
    ahead = _ROUTES.get(getattr(getattr(request, "resolver_match", None), "route", None)) if holder else None
    ahead_keys = [*(k for k in ahead[1] if k not in generation_keys), _holders_key(ahead[0], holder, request)] if ahead else []
    found = cache.get_many([*generation_keys, key, *ahead_keys])
    missing = {k: time.time_ns() for k in generation_keys if k not in found}
    if missing:
        cache.set_many(missing, None)
    generations = [found.get(k) or missing[k] for k in generation_keys]
    if ahead:
        setattr(request, _READ_AHEAD_PENDING, (holder, generations, found))
    kept = found.get(key)
    if kept is not None and list(kept[0]) == generations:
        return generations, kept[1]
    return generations, None


def keep_value(key: str, generations: list[int], value, seconds: int) -> None:
    """Keep ``value`` under ``key`` as made at ``generations`` (what ``read_kept`` checks)."""
    cache.set(key, (tuple(generations), value), seconds)


def accept_read_ahead(request) -> None:
    """The holder ``read_kept`` read ahead for is who answers this request: its list may answer from it."""
    ahead = getattr(request, _READ_AHEAD_PENDING, None)
    if ahead is not None:
        setattr(request, _READ_AHEAD, ahead)


def _holders_key(name: str, holder: str, request) -> str:
    """Where the answer of operation ``name`` to this query is kept for one holder (an API token)."""
    return f"{PREFIX}:holder:" + hashlib.sha256("\n".join([name, holder, get_language() or "", request.GET.urlencode()]).encode()).hexdigest()


def _answer_read_ahead(request, name: str, generation_keys: list[str]):
    """The holder's kept answer read ahead with their token, if made at the generations read with it (else
    None); and, to keep the answer under, the key and the generations it is being made at (or None)."""
    ahead = getattr(request, _READ_AHEAD, None)
    if ahead is None:
        return None, None
    holder, holder_generations, found = ahead
    if not all(k in found for k in generation_keys):
        return None, None  # a list of models nobody changed yet: generations are started on the long way
    generations = [*holder_generations, *(found[k] for k in generation_keys)]
    key = _holders_key(name, holder, request)
    kept = found.get(key)
    if kept is not None and list(kept[0]) == generations:
        return kept[1], None
    return None, (key, generations)


def _reach_digest(user, perms: tuple[str, ...]) -> str:
    from accounts.permissions import reaches

    if getattr(user, "is_superuser", False) and user.is_active:
        return "all"
    return repr([sorted(reaches(user, perm), key=repr) for perm in perms])


def cached_list(*, models: Iterable[type[Model]], perms: Iterable[str], seconds: int = DEFAULT_SECONDS):
    """Keep the JSON answer of a GET list operation, per reach of each of ``perms`` (every permission the
    operation checks: the rows' and the filters') and query string, until a row of ``models`` changes.
    Under ``@router.get`` and above ``@replica_reads`` and ``@paginate``."""
    models, perms = tuple(models), tuple(perms)
    watch(*models)

    generation_keys = [_generation_key(model) for model in models]

    def decorator(view):
        name = f"{view.__module__}.{view.__qualname__}"

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            route = getattr(request.resolver_match, "route", None)
            if route is not None and route not in _ROUTES:
                _ROUTES[route] = (name, generation_keys)  # read ahead with the holder's token from now on
            try:
                body, holders = _answer_read_ahead(request, name, generation_keys)
                if body is not None:
                    return HttpResponse(body, content_type="application/json; charset=utf-8")
                reach = _reach_digest(request.user, perms)
                key = f"{PREFIX}:" + hashlib.sha256("\n".join([name, reach, get_language() or "", request.GET.urlencode()]).encode()).hexdigest()
                generations, body = read_kept(models, key)
            except Exception:  # noqa: BLE001 - the cache is a help, never a condition
                logger.warning("The list cache could not be read for %s", request.path, exc_info=True)
                return view(request, *args, **kwargs)
            if body is not None:
                if holders is not None:
                    _keep_many({holders[0]: (tuple(holders[1]), body)}, seconds, request)
                return HttpResponse(body, content_type="application/json; charset=utf-8")
            if not _replica_may_be_behind(request, generations):
                setattr(request, _ATTRIBUTE, (key, generations, seconds, holders))
            return view(request, *args, **kwargs)

        wrapper.cached_list = True
        return wrapper

    return decorator


def _replica_may_be_behind(request, generations: list[int]) -> bool:
    """Whether this request may read from a replica that has not yet replayed the newest change."""
    from core.replica import HEALTH_SECONDS, may_read_replica

    if not may_read_replica(request):
        return False
    allowed_lag = settings.DATABASE_REPLICA_MAX_LAG_SECONDS + HEALTH_SECONDS
    return (time.time_ns() - max(generations)) / 1e9 < allowed_lag


def keep(request, response: HttpResponse) -> None:
    """Called by the API for every answer it renders: keep it when its operation asked for that."""
    wanted = getattr(request, _ATTRIBUTE, None)
    if wanted is None or response.status_code != 200:
        return
    key, generations, seconds, holders = wanted
    kept = {key: (tuple(generations), response.content)}
    if holders is not None:
        holders_key, holders_generations = holders
        # Labelled with the generations read ahead with the token, never newer than those the answer
        # was made at: a copy can only look older than it is, and is then not served.
        kept[holders_key] = (tuple(holders_generations), response.content)
    _keep_many(kept, seconds, request)


def _keep_many(values: dict, seconds: int, request) -> None:
    try:
        cache.set_many(values, seconds)
    except Exception:  # noqa: BLE001
        logger.warning("The list cache could not keep the answer to %s", request.path, exc_info=True)

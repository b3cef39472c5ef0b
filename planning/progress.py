"""Live progress of a running network import or scenario, kept in the cache (shared by the web
server and the worker), so pages can show a bar while the worker computes."""

from django.core.cache import cache

TTL_SECONDS = 6 * 3600


def _key(kind: str, pk: int) -> str:
    return f"planning-progress:{kind}:{pk}"


def progress_set(kind: str, pk: int, *, stage: str, percent: int) -> None:
    cache.set(_key(kind, pk), {"stage": stage, "percent": int(max(0, min(99, percent)))}, TTL_SECONDS)


def progress_get(kind: str, pk: int) -> dict | None:
    return cache.get(_key(kind, pk))


def progress_clear(kind: str, pk: int) -> None:
    cache.delete(_key(kind, pk))

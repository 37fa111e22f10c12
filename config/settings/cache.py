"""The cache, which holds the API's rate limits (escalate/api/throttling.py; decision 24).

ESCALATE_CACHE_URL names a cache every process shares:

    redis://HOST:6379/0, rediss://... (TLS)   Redis, through Django's own RedisCache
    database                                  a table in the application's database
                                              (``escalate createcachetable`` once, as the
                                              owner, after ``escalate migrate``)

Without it each process keeps its own cache in memory: right for the demo and the tests,
wrong for several web processes, where each would allow the full rate. Production refuses
to start without it (config/settings/production.py).

Imported at the end of ``base.py``; the environment is read there, through env().
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .base import env

__all__ = ["CACHES", "ESCALATE_CACHE_URL"]

ESCALATE_CACHE_URL = (env("ESCALATE_CACHE_URL") or "").strip()


def _cache(url: str) -> dict[str, Any]:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            # A Redis that stops answering fails the request in seconds, not at the proxy's
            # timeout; the readiness check reports it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            "KEY_PREFIX": "escalate",
        }
    if url == "database":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "escalate_cache",
            "KEY_PREFIX": "escalate",
        }
    if url:
        raise ImproperlyConfigured(
            f"ESCALATE_CACHE_URL must be redis://..., rediss://... or database, not {url!r}."
        )
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


CACHES = {"default": _cache(ESCALATE_CACHE_URL)}

"""The benchmark's production settings with one of three ways to hold database connections.

BENCH_CONNECTIONS chooses: ``per_request`` (a new connection for every request, Django's
CONN_MAX_AGE=0), ``persistent`` (kept 60 s with health checks, as base.py sets) or ``pool``
(psycopg's pool inside each process, Django 5.1+'s ``OPTIONS["pool"]``).
"""

import os

from .settings_app import *  # noqa: F403
from .settings_app import DATABASES

_mode = os.environ.get("BENCH_CONNECTIONS", "persistent")
if _mode == "per_request":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif _mode == "pool":
    # A sync worker serves one request at a time, so one connection per process is all it
    # can use; the pool's own default (four) would only hold idle connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 10}
elif _mode != "persistent":
    raise ValueError(f"BENCH_CONNECTIONS must be per_request, persistent or pool, not {_mode!r}")

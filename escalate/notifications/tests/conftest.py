"""Fixtures shared by the notifications tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def database_queue(settings) -> None:
    """Enqueue into the real database queue, as production does, instead of running at once."""
    from config.settings.notifications import TASK_QUEUES

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}
    }

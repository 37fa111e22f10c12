"""Settings for notifications and background tasks (escalate/notifications)."""

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

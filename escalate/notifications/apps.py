from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "escalate.notifications"
    label = "notifications"

    def ready(self) -> None:
        from escalate.notifications import checks  # noqa: F401 - registers the system checks

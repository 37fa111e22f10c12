from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "escalate.notifications"
    label = "notifications"

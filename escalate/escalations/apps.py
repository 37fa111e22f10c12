from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalate.escalations"
    label = "escalations"

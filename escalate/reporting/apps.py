from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "escalate.reporting"
    label = "reporting"

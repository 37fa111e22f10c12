from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "escalate.api"
    label = "api"

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "escalate.common"
    label = "common"

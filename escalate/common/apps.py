from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "escalate.common"
    label = "common"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.urls import register_converter

        from escalate.common.converters import IdConverter
        from escalate.common.navigation import on_sign_in

        register_converter(IdConverter, "id")

        user_logged_in.connect(on_sign_in, dispatch_uid="escalate.common.navigation")

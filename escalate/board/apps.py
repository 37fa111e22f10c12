from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "escalate.board"
    label = "board"

    def ready(self) -> None:
        from escalate.board import signals

        signals.connect()

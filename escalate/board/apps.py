from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "escalate.board"
    label = "board"

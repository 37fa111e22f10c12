"""Included by ``config/urls.py`` under ``board/``."""

from django.urls import path

from escalate.board import views

app_name = "board"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]

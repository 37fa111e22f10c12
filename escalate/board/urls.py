"""Included by ``config/urls.py`` under ``board/``."""

from django.urls import path

from escalate.board import views

app_name = "board"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("annual-report/", views.annual_report, name="annual_report"),
    path(
        "annual-report/<int:year>.<slug:kind>", views.annual_report_file, name="annual_report_file"
    ),
]

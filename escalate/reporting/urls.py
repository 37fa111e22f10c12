"""Included by ``config/urls.py`` under ``register/``."""

from django.urls import path

from escalate.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.register_page, name="register"),
    path("export.csv", views.register_export, name="register_csv"),
    path("practice-issues/", views.practice_issue_list, name="practice_issues"),
    path("practice-issues/new/<uuid:pk>/", views.practice_issue_new, name="practice_issue_new"),
]

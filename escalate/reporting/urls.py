"""Included by ``config/urls.py`` under ``register/``."""

from django.urls import path

from escalate.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.register_page, name="register"),
    path("export.csv", views.register_export, name="register_csv"),
    path("practice-issues/", views.practice_issue_list, name="practice_issues"),
    path("practice-issues/new/<uuid:pk>/", views.practice_issue_new, name="practice_issue_new"),
    path(
        "practice-issues/<id:pk>/board-action/",
        views.board_action_new,
        name="board_action_new",
    ),
    path("board-actions/", views.board_action_list, name="board_actions"),
    path("board-actions/<id:pk>/done/", views.board_action_done, name="board_action_done"),
    path("good-practice/", views.good_practice_list, name="good_practice"),
    path("good-practice/new/<uuid:pk>/", views.good_practice_new, name="good_practice_new"),
]

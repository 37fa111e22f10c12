"""Invitations and password reset, for people not signed in, and the switch between a
signed-in person's places; included at ``account/``."""

from django.urls import path

from escalate.organisations import account_views

app_name = "accounts"
urlpatterns = [
    path(
        "invitation/<uidb64>/<token>/",
        account_views.AcceptInvitation.as_view(),
        name="invitation",
    ),
    path("password-reset/", account_views.AskForReset.as_view(), name="password_reset"),
    path("password-reset/sent/", account_views.ResetSent.as_view(), name="reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        account_views.ResetPassword.as_view(),
        name="reset_confirm",
    ),
    path("password-set/", account_views.PasswordSet.as_view(), name="password_set"),
    path("place/", account_views.switch_place, name="switch_place"),
]

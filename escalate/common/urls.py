"""Signing in: with an organisation's account, and the second factor's recovery; and an
administrator's reset of someone's second factor. Included by ``config/urls.py`` at the root.

The organisation pages answer 404 until single sign-on is set up (see
``config/settings/sign_in.py``). The callback's address is the redirect URI to register with
the provider.
"""

from django.urls import path

from escalate.common import second_factor, views
from escalate.common.oidc import (
    OrganisationCallbackView,
    OrganisationSignInView,
    PartnershipSignInView,
)

urlpatterns = [
    path("sign-in/organisation/", OrganisationSignInView.as_view(), name="sign_in_organisation"),
    path(
        "sign-in/organisation/callback/",
        OrganisationCallbackView.as_view(),
        name="sign_in_organisation_callback",
    ),
    path(
        "sign-in/organisation/<slug:partnership>/",
        PartnershipSignInView.as_view(),
        name="sign_in_organisation_partnership",
    ),
    # Under the second factor's own path, so a session still owing it may reach it.
    path(
        "sign-in/second-factor/recovery-code/",
        second_factor.recover,
        name="second_factor_recovery",
    ),
    # Not under it: only a session that has given its second factor reaches these.
    path(
        "second-factor/recovery-codes/",
        second_factor.recovery_codes,
        name="second_factor_recovery_codes",
    ),
    path(
        "directory/people/<id:pk>/second-factor/reset/",
        views.second_factor_reset,
        name="second_factor_reset",
    ),
]

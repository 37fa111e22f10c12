"""Signing in with an organisation's account; included by ``config/urls.py``.

Both answer 404 until single sign-on is set up (see ``config/settings/sign_in.py``). The
callback's address is the redirect URI to register with the provider.
"""

from django.urls import path

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
]

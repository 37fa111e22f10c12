"""Single sign-on with an organisation's own account, through OpenID Connect.

Councils and NHS bodies sign their staff in with Microsoft Entra ID; Escalate is a
relying party (mozilla-django-oidc) using the authorization-code flow with a nonce, PKCE,
RS256-signed ID tokens checked against the provider's published keys, and the token's
issuer and audience checked against settings (``config/settings/sign_in.py``).

Who may sign in this way is decided by the directory, not by the provider: the account's
email address must belong to an existing, active person whose account is active. Nobody
is ever created here; anyone else is refused with a sentence saying why.

The second factor: Entra ID can enforce its own multi-factor authentication (by
conditional access) and says so in the ID token's ``amr`` claim. A sign-in whose ``amr``
includes ``mfa`` counts as verified (see ``OrganisationSignIn``), unless
``ESCALATE_SSO_TRUSTS_MFA`` is off; any other sign-in is still asked for Escalate's own
one-time code wherever the second-factor policy asks for one.

Once signed in, the session is Escalate's own, with its idle and absolute timeouts and
"sign out everywhere"; signing out of Escalate does not sign the person out of Entra ID.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import login as otp_login
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

logger = logging.getLogger(__name__)

REQUIRED_SETTINGS = (
    "OIDC_RP_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
    "ESCALATE_OIDC_ISSUERS",
)

# Why a sign-in was refused: a code in the sign-in page's address, and what the page says.
REFUSALS = {
    "not_in_directory": (
        "Your organisation's account is not linked to anyone in Escalate's directory. "
        "Ask your partnership's administrator to add you with the email address your "
        "organisation uses for you."
    ),
    "inactive": (
        "Your entry in Escalate's directory is no longer active, so you cannot sign in. "
        "If you still need access, ask your partnership's administrator."
    ),
    "no_email": (
        "Your organisation's account did not tell Escalate your email address, so you "
        "cannot sign in with it. Sign in with your email address and password instead."
    ),
    "not_confirmed": (
        "Escalate could not confirm your sign-in with your organisation. Try again, or "
        "sign in with your email address and password."
    ),
    "cancelled": "Signing in with your organisation's account was cancelled or refused.",
    "unavailable": (
        "Your organisation's sign-in service did not answer. Try again later, or sign in "
        "with your email address and password."
    ),
}
_REFUSED = "escalate_sign_in_refused"
_PASSED_MFA = "escalate_sign_in_passed_mfa"


def sso_enabled() -> bool:
    """Whether signing in with an organisation's account is set up (see sign_in.py)."""
    return all(getattr(settings, name, "") for name in REQUIRED_SETTINGS)


def refusal_text(code: str) -> str:
    return REFUSALS.get(code, "")


def _allowed_issuers() -> set[str]:
    value = getattr(settings, "ESCALATE_OIDC_ISSUERS", "")
    return {issuer.strip().rstrip("/") for issuer in value.split(",") if issuer.strip()}


def _passed_mfa(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr") or []
    methods = [amr] if isinstance(amr, str) else list(amr)
    return "mfa" in methods


def _email_in(claims: dict[str, Any]) -> str:
    """The account's email: Entra ID's optional ``email`` claim, else its user principal name."""
    for name in ("email", "preferred_username", "upn"):
        value = claims.get(name)
        if isinstance(value, str) and "@" in value:
            return value.strip()
    return ""


class OrganisationAccountBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Signs in the existing, active person whose email the organisation's account carries."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the sign-in callback passes a nonce (sign_in.py always uses one): a password
        # sign-in, whatever its address says, never reaches the provider.
        if request is None or not kwargs.get("nonce") or not sso_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued to another client.")
        # Pinning the issuer pins the tenant: another tenant's administrators could give an
        # account any email address they like, so only the partnership's tenants count.
        if str(payload.get("iss", "")).rstrip("/") not in _allowed_issuers():
            raise SuspiciousOperation("The ID token comes from an issuer not allowed here.")
        return payload

    def retrieve_matching_jwk(self, token: str) -> Any:
        """The provider's key for ``token``; by ``kid`` when the token names one (Entra ID
        always does), else the provider's only key for the algorithm, or a refusal."""
        if "kid" in jwt.get_unverified_header(token):
            return super().retrieve_matching_jwk(token)
        response = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
        )
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("alg", self.OIDC_RP_SIGN_ALGO) == self.OIDC_RP_SIGN_ALGO
            and key.get("use", "sig") == "sig"
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("The ID token names no key and the provider has several.")
        return jwt.PyJWK(keys[0])

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        if not getattr(settings, "OIDC_OP_USER_ENDPOINT", ""):
            return {}
        return super().get_userinfo(access_token, id_token, payload)

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The account of the person the directory knows by this email; never a new one."""
        from escalate.organisations.models import Person

        # The signed ID token's claims win over the user-info endpoint's.
        claims = {**self.get_userinfo(access_token, id_token, payload), **payload}
        email = _email_in(claims)
        if not email:
            return self._refuse("no_email")
        people = list(Person.objects.select_related("user").filter(email__iexact=email)[:2])
        user = people[0].user if len(people) == 1 else None
        if user is None:
            return self._refuse("not_in_directory")
        if not people[0].is_active or not user.is_active:
            return self._refuse("inactive")
        setattr(self.request, _PASSED_MFA, _passed_mfa(payload))
        return user

    def create_user(self, claims: dict[str, Any]) -> None:
        raise SuspiciousOperation("Signing in with an organisation's account creates nobody.")

    def _refuse(self, code: str) -> None:
        logger.info("Sign-in with an organisation's account refused: %s", code)
        setattr(self.request, _REFUSED, code)
        return None


class OrganisationSignInView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Sends the person to their organisation's sign-in page; 404 while it is not set up."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Signing in with an organisation's account is not set up.")
        return super().get(request)  # type: ignore[no-any-return]


class OrganisationCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where the organisation's sign-in sends the person back: signs them in or says why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Signing in with an organisation's account is not set up.")
        if request.GET.get("error"):
            setattr(request, _REFUSED, "cancelled")
        try:
            return super().get(request)  # type: ignore[no-any-return]
        except (SuspiciousOperation, jwt.PyJWTError) as problem:
            logger.warning("Sign-in with an organisation's account not confirmed: %s", problem)
            setattr(request, _REFUSED, "not_confirmed")
        except requests.RequestException as problem:
            logger.warning("The organisation's sign-in service failed: %s", type(problem).__name__)
            setattr(request, _REFUSED, "unavailable")
        return self.login_failure()

    def login_failure(self) -> HttpResponse:
        code = getattr(self.request, _REFUSED, "not_confirmed")
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'refused': code})}")

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        if getattr(self.request, _PASSED_MFA, False) and settings.ESCALATE_SSO_TRUSTS_MFA:
            from escalate.common.models import OrganisationSignIn

            device, _ = OrganisationSignIn.objects.get_or_create(
                user=self.user, defaults={"name": "Organisation account with MFA"}
            )
            otp_login(self.request, device)
        return response  # type: ignore[no-any-return]

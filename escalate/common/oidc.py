"""Single sign-on with an organisation's own account, through OpenID Connect.

Councils and NHS bodies sign their staff in with Microsoft Entra ID; Escalate is a
relying party (mozilla-django-oidc) using the authorization-code flow with a nonce, PKCE,
RS256-signed ID tokens checked against the provider's published keys, and the token's
issuer and audience checked against the provider's.

Each partnership can have its own provider (``SignInProvider``, decision 17). The person
picks their partnership, or gives their email address and is sent to the provider whose
domains take it; the provider chosen is written into the sign-in's entry in the session,
under its ``state``, so the callback checks the token against that provider only: a
token from another partnership's provider, or a callback carrying another sign-in's state,
is refused. The email must be at one of that provider's domains and belong to a person of
that partnership. The instance-wide provider of ``config/settings/sign_in.py`` remains
for instances (and email addresses) with no partnership's provider.

Who may sign in this way is decided by the directory, not by the provider: the account's
email address must belong to an existing, active person whose account is active. Nobody
is ever created here; anyone else is refused with a sentence saying why.

The second factor: Entra ID can enforce its own multi-factor authentication (by
conditional access) and says so in the ID token's ``amr`` claim. A sign-in whose ``amr``
includes ``mfa`` counts as verified (see ``OrganisationSignIn``), unless the partnership's
provider is not trusted for it or ``ESCALATE_SSO_TRUSTS_MFA`` is off; any other sign-in is
still asked for Escalate's own one-time code wherever the second-factor policy asks for one.

Once signed in, the session is Escalate's own, with its idle and absolute timeouts and
"sign out everywhere"; signing out of Escalate does not sign the person out of Entra ID.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.fernet import InvalidToken
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django_otp import login as otp_login
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from escalate.audit import events
from escalate.audit.services import record

if TYPE_CHECKING:
    from escalate.common.models import SignInProvider
    from escalate.organisations.models import Person
    from escalate.policies.models import Partnership

logger = logging.getLogger(__name__)

EMAIL_MAX_LENGTH = 254
"""The longest address the directory keeps (``Person.email``)."""

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
    "domain_not_allowed": (
        "Your email address's domain is not one this partnership signs in with. Choose "
        "your own partnership, or sign in with your email address and password."
    ),
    "not_in_partnership": (
        "Your entry in Escalate's directory is not in the partnership whose sign-in you "
        "used. Choose your own partnership, or ask its administrator to add you."
    ),
}
_REFUSED = "escalate_sign_in_refused"
_PASSED_MFA = "escalate_sign_in_passed_mfa"
# The request attribute the callback sets, from the session, for the backend to read.
_PROVIDER = "escalate_sign_in_provider"
# The key, in mozilla-django-oidc's entry for a sign-in's state, naming its provider.
_PROVIDER_KEY = "escalate_provider"


def sso_enabled() -> bool:
    """Whether signing in with an organisation's account is set up (see sign_in.py)."""
    return all(getattr(settings, name, "") for name in REQUIRED_SETTINGS)


def refusal_text(code: str) -> str:
    return REFUSALS.get(code, "")


def enabled_providers() -> QuerySet[SignInProvider]:
    """Partnerships' providers people may sign in through, in partnership order."""
    from escalate.common.models import SignInProvider

    return SignInProvider.objects.filter(is_enabled=True).select_related("partnership")


def organisation_sign_in_set_up() -> bool:
    """Whether any sign-in with an organisation's account is offered: the instance-wide
    provider, or any partnership's (one query, asked only by the sign-in pages)."""
    return sso_enabled() or enabled_providers().exists()


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


@dataclass(frozen=True)
class ProviderChoice:
    """Where a person who gave their email address or partnership is sent: ``providers``
    holds one to go straight there, several to choose from (a shared domain such as
    nhs.net), none when nobody takes it; ``instance_wide`` is then whether the
    instance-wide provider will."""

    providers: tuple[SignInProvider, ...]
    instance_wide: bool = False


def choose_sign_in_provider(*, email: str = "", partnership: str = "") -> ProviderChoice:
    """The providers for ``partnership`` (a slug) if given, else for ``email``'s domain.

    The directory is not asked: whether an address belongs to anyone is told only after
    the provider has confirmed who is signing in."""
    providers = enabled_providers()
    if partnership:
        return ProviderChoice(providers=tuple(providers.filter(partnership__slug=partnership)))
    found = tuple(providers.filter(domains__domain=email_domain(email)).distinct())
    return ProviderChoice(providers=found, instance_wide=not found and sso_enabled())


class ProviderRefused(Exception):
    """A provider's settings that cannot be used; the message says why."""


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = host == "localhost"
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback):
        raise ProviderRefused(f"The {name} must be an https:// address, not {url!r}.")
    return url


def discover_provider(discovery_url: str) -> dict[str, str]:
    """Issuer and endpoints from a provider's discovery document (``.well-known``)."""
    response = requests.get(_check_url("discovery URL", discovery_url), timeout=10)
    response.raise_for_status()
    found = response.json()
    return {
        "issuer": found["issuer"],
        "authorization_endpoint": found["authorization_endpoint"],
        "token_endpoint": found["token_endpoint"],
        "jwks_endpoint": found["jwks_uri"],
        "userinfo_endpoint": found.get("userinfo_endpoint", ""),
    }


_PROVIDER_URLS = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_endpoint",
    "userinfo_endpoint",
)


@transaction.atomic
def set_sign_in_provider(
    *,
    partnership: Partnership,
    actor: Person | None = None,
    client_secret: str | None = None,
    domains: list[str] | None = None,
    **values: Any,
) -> SignInProvider:
    """Creates or changes ``partnership``'s provider: ``values`` are its fields (display
    name, issuer, endpoints, client id, ``trusts_mfa``, ``is_enabled``); ``domains``, when
    given, replace its email domains. Raises ``ProviderRefused`` saying what is missing or
    wrong. A new provider needs every endpoint but the user-info one, a client id and a
    secret, and at least one domain.

    Each change is recorded on the partnership's history (never the secret itself).
    """
    from escalate.common.models import SignInDomain, SignInProvider

    provider = SignInProvider.objects.select_for_update().filter(
        partnership=partnership
    ).first() or SignInProvider(partnership=partnership, display_name=partnership.name)
    for name, value in values.items():
        if value is None:
            continue
        if name in _PROVIDER_URLS and value:
            value = _check_url(name.replace("_", " "), str(value))
        setattr(provider, name, value)
    if client_secret:
        provider.set_client_secret(client_secret)
    missing = [
        name
        for name in (*_PROVIDER_URLS[:4], "client_id", "client_secret_encrypted")
        if not getattr(provider, name)
    ]
    if missing:
        raise ProviderRefused(f"The provider needs: {', '.join(missing)}.")
    provider.save()
    if domains is not None:
        cleaned = sorted({domain.strip().lstrip("@").lower() for domain in domains} - {""})
        provider.domains.all().delete()
        SignInDomain.objects.bulk_create(
            SignInDomain(provider=provider, domain=domain) for domain in cleaned
        )
    if not provider.domains.exists():
        raise ProviderRefused("The provider needs at least one email domain.")
    changed = sorted(name for name, value in values.items() if value is not None)
    record(
        events.SIGN_IN_PROVIDER_SET,
        actor=actor,
        partnership=partnership,
        data={
            "changed": changed + (["client_secret"] if client_secret else []),
            "domains": sorted(provider.domains.values_list("domain", flat=True)),
        },
    )
    return provider


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


PLACES_LOOKED_AT = 20
"""More entries than anyone has places: enough to see that an email names two accounts."""


def _in_partnership(person: Any, provider: SignInProvider) -> bool:
    """Whether the directory puts ``person`` in the provider's partnership (by agency or
    role), by the directory's own rule."""
    from escalate.organisations.selectors import people_in

    return people_in([provider.partnership]).filter(pk=person.pk).exists()


class OrganisationAccountBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Signs in the existing, active person whose email the organisation's account carries:
    through the partnership's provider the callback found bound to the sign-in's state
    (then a person of that partnership, at one of its domains), else the instance-wide one."""

    provider: SignInProvider | None = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the sign-in callback passes a nonce (sign_in.py always uses one): a password
        # sign-in, whatever its address says, never reaches the provider.
        if request is None or not kwargs.get("nonce"):
            return None
        provider = getattr(request, _PROVIDER, None)
        if provider is not None:
            self._use(provider)
        elif not sso_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def _use(self, provider: SignInProvider) -> None:
        """Ask ``provider`` rather than the settings mozilla-django-oidc read at start."""
        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = provider.jwks_endpoint
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = provider.client_secret()
        self.OIDC_RP_IDP_SIGN_KEY = None  # keys come from the provider's JWKS only

    def _issuers(self) -> set[str]:
        if self.provider is not None:
            return {self.provider.issuer.rstrip("/")}
        return _allowed_issuers()

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued to another client.")
        # Pinning the issuer pins the tenant: another tenant's administrators could give an
        # account any email address they like, so only the partnership's tenants count.
        if str(payload.get("iss", "")).rstrip("/") not in self._issuers():
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
        if not self.OIDC_OP_USER_ENDPOINT:
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
        if self.provider is not None and not self.provider.allows_email(email):
            return self._refuse("domain_not_allowed")
        # An account may have a place in several partnerships' directories (decision 20).
        places = list(
            Person.objects.select_related("user")
            .filter(email__iexact=email, user__isnull=False)
            .order_by("pk")[:PLACES_LOOKED_AT]
        )
        if len({place.user_id for place in places}) != 1:
            return self._refuse("not_in_directory")
        user = places[0].user
        active = [place for place in places if place.is_active]
        if not active or user is None or not user.is_active:
            return self._refuse("inactive")
        if self.provider is not None:
            provider = self.provider
            active = [place for place in active if _in_partnership(place, provider)]
            if not active:
                return self._refuse("not_in_partnership")
            self._work_in(active[0])
        trusted = self.provider is None or self.provider.trusts_mfa
        setattr(self.request, _PASSED_MFA, trusted and _passed_mfa(payload))
        return user

    def _work_in(self, place: Any) -> None:
        """Signed in through a partnership's provider, the person works in its place first."""
        from escalate.organisations.middleware import CURRENT_PLACE_KEY

        session = getattr(self.request, "session", None)
        if session is not None:
            session[CURRENT_PLACE_KEY] = place.pk

    def create_user(self, claims: dict[str, Any]) -> None:
        raise SuspiciousOperation("Signing in with an organisation's account creates nobody.")

    def _refuse(self, code: str) -> None:
        logger.info("Sign-in with an organisation's account refused: %s", code)
        setattr(self.request, _REFUSED, code)
        return None


def _origins(providers: QuerySet[SignInProvider]) -> list[str]:
    """The origins of the providers' authorization endpoints (often one: Entra ID's)."""
    endpoints = list(providers.values_list("authorization_endpoint", flat=True))
    if sso_enabled():
        endpoints.append(settings.OIDC_OP_AUTHORIZATION_ENDPOINT)
    found = {f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url in endpoints}
    return sorted(found)


class OrganisationChoiceForm(forms.Form):
    """Either an email address or a partnership (a slug); which one is read in the view."""

    email = forms.EmailField(required=False, max_length=254)
    partnership = forms.SlugField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("email") and not cleaned.get("partnership"):
            if "partnership" in self.data:
                self.add_error("partnership", "Choose your partnership")
            else:
                self.add_error("email", "Enter your email address")
        return cleaned


class OrganisationSignInView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Where "Sign in with your organisation's account" leads.

    While some partnership has a provider: a page to give an email address or pick a
    partnership (POST sends the person to the provider chosen). Otherwise straight to the
    instance-wide provider; 404 while neither is set up.
    """

    http_method_names = ["get", "post"]
    template_name = "registration/organisation_sign_in.html"
    login_hint = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        if enabled_providers().exists():
            return self._page(request, OrganisationChoiceForm())
        if not sso_enabled():
            raise Http404("Signing in with an organisation's account is not set up.")
        return self.start(request, provider=None)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not enabled_providers().exists():
            raise Http404("No partnership signs in with its own provider.")
        form = OrganisationChoiceForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        email = form.cleaned_data["email"]
        choice = choose_sign_in_provider(email=email, partnership=form.cleaned_data["partnership"])
        self.login_hint = email
        if len(choice.providers) == 1:
            return self.start(request, provider=choice.providers[0])
        if choice.instance_wide:
            return self.start(request, provider=None)
        if not choice.providers:
            if email:
                form.add_error(
                    "email",
                    f"No partnership in Escalate signs in with addresses at "
                    f"{email_domain(email)}. Choose your partnership below, or sign in "
                    f"with your email address and password.",
                )
            else:
                form.add_error("partnership", "Choose your partnership")
            return self._page(request, form, status=400)
        return self._page(request, form, choices=choice.providers)

    def _page(
        self,
        request: HttpRequest,
        form: OrganisationChoiceForm,
        *,
        choices: tuple[SignInProvider, ...] = (),
        status: int = 200,
    ) -> HttpResponse:
        providers = enabled_providers().order_by("partnership__name")
        context = {
            "form": form,
            "choices": choices,
            "providers": providers,
            "shared_domain": email_domain(form.cleaned_data.get("email", "")) if choices else "",
        }
        response = render(request, self.template_name, context, status=status)
        # The forms' answer is a redirect to a provider, which CSP's form-action 'self'
        # would stop: this page alone may also send a form on to the providers' origins.
        origins = _origins(providers)
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
        return response

    def start(self, request: HttpRequest, *, provider: SignInProvider | None) -> HttpResponse:
        """Send the person to ``provider`` (None: the instance-wide one), binding it to the
        sign-in's state so that only that provider's token can complete it."""
        if provider is not None:
            self.OIDC_OP_AUTH_ENDPOINT = provider.authorization_endpoint
            self.OIDC_RP_CLIENT_ID = provider.client_id
        response: HttpResponse = super().get(request)
        if provider is not None:
            state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
            request.session["oidc_states"][state][_PROVIDER_KEY] = provider.pk
            request.session.modified = True
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = dict(super().get_extra_params(request))
        if self.login_hint:
            params["login_hint"] = self.login_hint
        return params


class PartnershipSignInView(OrganisationSignInView):
    """Straight to one partnership's provider (a link a partnership can publish)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, partnership: str = "") -> HttpResponse:
        choice = choose_sign_in_provider(partnership=partnership)
        if not choice.providers:
            raise Http404("This partnership has no sign-in of its own.")
        return self.start(request, provider=choice.providers[0])


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with an address no longer than an email can be.

    Django sets the username's ``max_length`` after the field is built, so the limit is
    only the input's attribute: a longer value reached the lockout's failure log, whose
    column PostgreSQL refuses it for, and the sign-in was a server error.
    """

    def clean_username(self) -> str:
        username = str(self.cleaned_data.get("username") or "")
        if len(username) > EMAIL_MAX_LENGTH:
            raise forms.ValidationError("Enter a correct email address and password.")
        return username


class SignInView(auth_views.LoginView):
    """The sign-in page: offers an organisation's account whenever one is set up, the
    instance-wide provider or a partnership's (the page alone asks the database)."""

    authentication_form = SignInForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if organisation_sign_in_set_up():
            context["organisation_sign_in_url"] = reverse("sign_in_organisation")
            context["organisation_sign_in_refusal"] = refusal_text(
                self.request.GET.get("refused", "")
            )
        return context


class OrganisationCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where the organisation's sign-in sends the person back: signs them in or says why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not organisation_sign_in_set_up():
            raise Http404("Signing in with an organisation's account is not set up.")
        if request.GET.get("error"):
            setattr(request, _REFUSED, "cancelled")
        try:
            if not self._bind_provider(request):
                return self.login_failure()
            return super().get(request)  # type: ignore[no-any-return]
        except (SuspiciousOperation, jwt.PyJWTError) as problem:
            logger.warning("Sign-in with an organisation's account not confirmed: %s", problem)
            setattr(request, _REFUSED, "not_confirmed")
        except requests.HTTPError as problem:
            # The provider refusing the code (4xx) is a refusal; anything else, an outage.
            status = problem.response.status_code if problem.response is not None else 500
            logger.warning("The organisation's sign-in service refused: %s", status)
            setattr(request, _REFUSED, "not_confirmed" if status < 500 else "unavailable")
        except InvalidToken:
            logger.error("A sign-in provider's client secret cannot be decrypted with the keys.")
            setattr(request, _REFUSED, "unavailable")
        except requests.RequestException as problem:
            logger.warning("The organisation's sign-in service failed: %s", type(problem).__name__)
            setattr(request, _REFUSED, "unavailable")
        return self.login_failure()

    def _bind_provider(self, request: HttpRequest) -> bool:
        """Hand the backend the provider this sign-in's state was started for, if any;
        False when that provider is no longer enabled (the state is then used up)."""
        from escalate.common.models import SignInProvider

        states = request.session.get("oidc_states") or {}
        entry = states.get(request.GET.get("state", "")) if isinstance(states, dict) else None
        if not isinstance(entry, dict) or _PROVIDER_KEY not in entry:
            return True
        provider = (
            SignInProvider.objects.filter(pk=entry[_PROVIDER_KEY], is_enabled=True)
            .select_related("partnership")
            .first()
        )
        if provider is None:
            del states[request.GET["state"]]
            request.session.modified = True
            return False
        setattr(request, _PROVIDER, provider)
        return True

    def login_failure(self) -> HttpResponse:
        code = getattr(self.request, _REFUSED, "not_confirmed")
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'refused': code})}")

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        # The backend counted the provider's MFA only where that provider is trusted for it.
        if getattr(self.request, _PASSED_MFA, False) and settings.ESCALATE_SSO_TRUSTS_MFA:
            from escalate.common.models import OrganisationSignIn

            device, _ = OrganisationSignIn.objects.get_or_create(
                user=self.user, defaults={"name": "Organisation account with MFA"}
            )
            otp_login(self.request, device)
        return response  # type: ignore[no-any-return]

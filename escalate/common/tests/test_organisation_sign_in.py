"""Signing in with an organisation's account, against a real OpenID provider run here.

The provider is ``oidc-provider-mock`` (authlib underneath), served on 127.0.0.1 from a
thread: it publishes its discovery document and keys, shows its own sign-in page, issues
RS256-signed ID tokens and answers the token and user-info endpoints. Escalate runs in the
Django test client; only the provider's answers travel over the network, as with Entra ID.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from escalate.common.models import OrganisationSignIn
from escalate.common.oidc import REFUSALS
from escalate.escalations.tests.factories import DEMO_PASSWORD, PersonFactory

# The provider is a test dependency (oidc-provider-mock in the dev extras); the authlib it
# runs on warns about its own API changes, which are not Escalate's to fix.
with warnings.catch_warnings():
    pytest.importorskip("authlib.deprecate")  # it sets its warnings to "always" on import
    warnings.simplefilter("ignore")
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    werkzeug_serving = pytest.importorskip("werkzeug.serving")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


@dataclass(frozen=True)
class Provider:
    url: str
    configuration: dict[str, str]

    def set_account(self, sub: str, **claims: object) -> None:
        """What the provider says about an account: its email, how it signed in (``amr``)."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def sign_in_as(self, authorize_url: str, sub: str) -> str:
        """Complete the provider's own sign-in page; return where it sends the browser."""
        response = requests.post(
            authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.text
        return str(response.headers["Location"])


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    server = werkzeug_serving.make_server(
        "127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        configuration = requests.get(f"{url}/.well-known/openid-configuration", timeout=10).json()
        yield Provider(url=url, configuration=configuration)
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture
def sso(provider: Provider) -> Iterator[Provider]:
    """Single sign-on set up as sign_in.py would from the environment, pointing at the provider."""
    found = provider.configuration
    with override_settings(
        OIDC_RP_CLIENT_ID="escalate-tests",
        OIDC_RP_CLIENT_SECRET="tests-only-not-secret",
        OIDC_OP_AUTHORIZATION_ENDPOINT=found["authorization_endpoint"],
        OIDC_OP_TOKEN_ENDPOINT=found["token_endpoint"],
        OIDC_OP_JWKS_ENDPOINT=found["jwks_uri"],
        OIDC_OP_USER_ENDPOINT=found["userinfo_endpoint"],
        ESCALATE_OIDC_ISSUERS=found["issuer"],
    ):
        yield provider


def _sign_in_through(provider: Provider, client: Client, sub: str) -> str:
    """The whole authorization-code flow; returns where Escalate sends the person at the end."""
    start = client.get(reverse("sign_in_organisation"))
    assert start.status_code == 302
    authorize_url = start["Location"]
    assert authorize_url.startswith(provider.configuration["authorization_endpoint"])
    asked = parse_qs(urlsplit(authorize_url).query)
    assert asked["response_type"] == ["code"]
    assert asked["nonce"] and asked["state"] and asked["code_challenge"]

    back = urlsplit(provider.sign_in_as(authorize_url, sub))
    assert back.path == reverse("sign_in_organisation_callback")
    finished = client.get(back.path, parse_qs(back.query))
    assert finished.status_code == 302
    return str(finished["Location"])


def _refusal(location: str) -> str:
    assert location.startswith(reverse("login"))
    return parse_qs(urlsplit(location).query)["refused"][0]


def test_a_known_person_signs_in_with_their_organisations_account(
    sso: Provider, client: Client
) -> None:
    person = PersonFactory(email="sam.practitioner@school.example.org")
    sso.set_account("account-sam", email="Sam.Practitioner@school.example.org")

    location = _sign_in_through(sso, client, "account-sam")

    assert location == reverse("start")
    page = client.get(location, follow=True)
    assert page.redirect_chain == [(reverse("escalations:mine"), 302)]
    assert page.status_code == 200
    assert page.wsgi_request.user == person.user
    assert page.wsgi_request.person == person  # type: ignore[attr-defined]


def test_someone_not_in_the_directory_is_refused_and_nobody_is_created(
    sso: Provider, client: Client
) -> None:
    PersonFactory(email="someone.else@school.example.org")
    accounts = get_user_model().objects.count()
    sso.set_account("account-stranger", email="stranger@elsewhere.example.org")

    location = _sign_in_through(sso, client, "account-stranger")

    assert _refusal(location) == "not_in_directory"
    assert get_user_model().objects.count() == accounts
    page = client.get(location)
    assert REFUSALS["not_in_directory"].replace("'", "&#x27;") in page.content.decode()
    assert not page.wsgi_request.user.is_authenticated
    assert client.get(reverse("escalations:mine")).status_code == 302


def test_a_leaver_is_refused(sso: Provider, client: Client) -> None:
    PersonFactory(email="leaver@school.example.org", is_active=False)
    sso.set_account("account-leaver", email="leaver@school.example.org")

    location = _sign_in_through(sso, client, "account-leaver")

    assert _refusal(location) == "inactive"
    assert "no longer active" in client.get(location).content.decode()
    assert client.get(reverse("escalations:mine")).status_code == 302


def test_an_account_without_an_email_address_is_refused(sso: Provider, client: Client) -> None:
    sso.set_account("account-no-email", name="No Email")

    assert _refusal(_sign_in_through(sso, client, "account-no-email")) == "no_email"


def test_a_token_from_an_issuer_not_allowed_is_refused(sso: Provider, client: Client) -> None:
    PersonFactory(email="sam@school.example.org")
    sso.set_account("account-other-tenant", email="sam@school.example.org")

    with override_settings(ESCALATE_OIDC_ISSUERS="https://login.microsoftonline.com/ours/v2.0"):
        location = _sign_in_through(sso, client, "account-other-tenant")

    assert _refusal(location) == "not_confirmed"
    assert client.get(reverse("escalations:mine")).status_code == 302


@override_settings(ESCALATE_SECOND_FACTOR="above_practitioner")
def test_a_manager_without_the_providers_mfa_still_gives_escalates_code(
    sso: Provider, client: Client
) -> None:
    PersonFactory(email="lee.manager@care.example.org", ladder_role="line_manager")
    sso.set_account("account-lee", email="lee.manager@care.example.org", amr=["pwd"])

    location = _sign_in_through(sso, client, "account-lee")

    assert client.get(location)["Location"] == reverse("second_factor_set_up")


@override_settings(ESCALATE_SECOND_FACTOR="above_practitioner")
def test_a_manager_who_passed_the_providers_mfa_is_let_in(sso: Provider, client: Client) -> None:
    manager = PersonFactory(email="lee.manager@care.example.org", ladder_role="line_manager")
    sso.set_account("account-lee-mfa", email="lee.manager@care.example.org", amr=["pwd", "mfa"])

    location = _sign_in_through(sso, client, "account-lee-mfa")

    assert client.get(location, follow=True).status_code == 200
    assert OrganisationSignIn.objects.filter(user=manager.user).count() == 1


@override_settings(ESCALATE_SECOND_FACTOR="above_practitioner", ESCALATE_SSO_TRUSTS_MFA=False)
def test_the_providers_mfa_can_be_distrusted(sso: Provider, client: Client) -> None:
    PersonFactory(email="lee.manager@care.example.org", ladder_role="line_manager")
    sso.set_account("account-lee-mfa-2", email="lee.manager@care.example.org", amr=["mfa"])

    location = _sign_in_through(sso, client, "account-lee-mfa-2")

    assert client.get(location)["Location"] == reverse("second_factor_set_up")


@override_settings(ESCALATE_SECOND_FACTOR="above_practitioner")
def test_the_mfa_stand_in_never_helps_a_password_sign_in(sso: Provider, client: Client) -> None:
    manager = PersonFactory(email="lee.manager@care.example.org", ladder_role="line_manager")
    OrganisationSignIn.objects.create(user=manager.user, name="Organisation account with MFA")

    client.post(reverse("login"), {"username": manager.user.username, "password": DEMO_PASSWORD})

    assert client.get(reverse("escalations:mine"))["Location"] == reverse("second_factor_set_up")


def test_the_sign_in_page_offers_the_organisations_account_only_when_set_up(
    sso: Provider, client: Client
) -> None:
    assert (
        "Sign in with your organisation's account" in client.get(reverse("login")).content.decode()
    )

    with override_settings(OIDC_RP_CLIENT_ID=""):
        assert "organisation" not in client.get(reverse("login")).content.decode()
        assert client.get(reverse("sign_in_organisation")).status_code == 404
        assert client.get(reverse("sign_in_organisation_callback")).status_code == 404


def test_a_password_sign_in_never_reaches_the_provider(sso: Provider, client: Client) -> None:
    person = PersonFactory(email="sam@school.example.org")

    response = client.post(
        f"{reverse('login')}?code=forged&state=forged",
        {"username": person.user.username, "password": DEMO_PASSWORD},
    )

    assert response.status_code == 302
    assert client.get(reverse("escalations:mine")).wsgi_request.user == person.user


def test_a_callback_with_a_forged_state_is_refused(sso: Provider, client: Client) -> None:
    client.get(reverse("sign_in_organisation"))  # a real flow started in this session

    response = client.get(
        reverse("sign_in_organisation_callback"), {"code": "forged", "state": "forged"}
    )

    assert _refusal(response["Location"]) == "not_confirmed"
    assert client.get(reverse("escalations:mine")).status_code == 302

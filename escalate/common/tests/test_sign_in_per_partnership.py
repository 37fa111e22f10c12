"""Each partnership signs in through its own OpenID provider (decision 17), proven against
two real providers (``oidc-provider-mock``, one server each, each with its own keys and
issuer) for two partnerships: the right provider for each, and no token, code or state
of one partnership's sign-in completing another's."""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from escalate.common.models import OrganisationSignIn, SignInProvider
from escalate.common.oidc import (
    REFUSALS,
    OrganisationAccountBackend,
    ProviderRefused,
    set_sign_in_provider,
)
from escalate.common.tests.test_organisation_sign_in import Provider
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory
from escalate.organisations.models import PartnershipRoleAssignment, Person
from escalate.policies.models import Partnership

with warnings.catch_warnings():
    pytest.importorskip("authlib.deprecate")
    warnings.simplefilter("ignore")
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    werkzeug_serving = pytest.importorskip("werkzeug.serving")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]
CALLBACK = "http://testserver/sign-in/organisation/callback/"


def serve_provider() -> Iterator[Provider]:
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


@pytest.fixture(scope="module")
def server_a() -> Iterator[Provider]:
    yield from serve_provider()


@pytest.fixture(scope="module")
def server_b() -> Iterator[Provider]:
    yield from serve_provider()


def provider_for(
    partnership: Partnership, server: Provider, *, domains: list[str], **values: object
) -> SignInProvider:
    found = server.configuration
    return set_sign_in_provider(
        partnership=partnership,
        display_name=f"{partnership.name} council",
        issuer=found["issuer"],
        authorization_endpoint=found["authorization_endpoint"],
        token_endpoint=found["token_endpoint"],
        jwks_endpoint=found["jwks_uri"],
        userinfo_endpoint=found["userinfo_endpoint"],
        client_id=f"escalate-{partnership.slug}",
        client_secret=f"secret-of-{partnership.slug}",
        domains=domains,
        **values,
    )


@pytest.fixture
def a(server_a: Provider) -> Partnership:
    partnership = Partnership.objects.create(slug="alder", name="Alder Partnership", code="ALD")
    provider_for(partnership, server_a, domains=["alder.gov.example", "nhs.example"])
    return partnership


@pytest.fixture
def b(server_b: Provider) -> Partnership:
    partnership = Partnership.objects.create(slug="birch", name="Birch Partnership", code="BIR")
    provider_for(partnership, server_b, domains=["birch.gov.example", "nhs.example"])
    return partnership


def person_of(partnership: Partnership, email: str, **kwargs: object) -> Person:
    return PersonFactory(
        email=email,
        user__username=email,
        agency=AgencyFactory(partnership=partnership),
        **kwargs,
    )


def start(client: Client, *, email: str = "", partnership: str = "") -> str:
    """Escalate's answer to the chooser: the provider's authorization address."""
    data = {"email": email} if email else {"partnership": partnership}
    response = client.post(reverse("sign_in_organisation"), data)
    assert response.status_code == 302, response.content.decode()
    return str(response["Location"])


def finish(client: Client, callback: str) -> str:
    back = urlsplit(callback)
    assert back.path == reverse("sign_in_organisation_callback")
    finished = client.get(back.path, parse_qs(back.query))
    assert finished.status_code == 302
    return str(finished["Location"])


def refusal(location: str) -> str:
    assert location.startswith(reverse("login")), location
    return parse_qs(urlsplit(location).query)["refused"][0]


def signed_in_as(client: Client) -> object:
    return client.get(reverse("start")).wsgi_request.user


def test_a_person_of_a_signs_in_through_as_provider_by_email(
    a: Partnership, b: Partnership, server_a: Provider, client: Client
) -> None:
    person = person_of(a, "ash@alder.gov.example")
    server_a.set_account("ash", email="ash@alder.gov.example")

    authorize = start(client, email="ash@alder.gov.example")

    assert authorize.startswith(server_a.configuration["authorization_endpoint"])
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["client_id"] == ["escalate-alder"]
    assert asked["login_hint"] == ["ash@alder.gov.example"]
    assert finish(client, server_a.sign_in_as(authorize, "ash")) == reverse("start")
    assert signed_in_as(client) == person.user


def test_a_person_of_b_signs_in_through_bs_provider_by_choosing_b(
    a: Partnership, b: Partnership, server_b: Provider, client: Client
) -> None:
    person = person_of(b, "bea@birch.gov.example")
    server_b.set_account("bea", email="bea@birch.gov.example")

    authorize = start(client, partnership="birch")

    assert authorize.startswith(server_b.configuration["authorization_endpoint"])
    assert parse_qs(urlsplit(authorize).query)["client_id"] == ["escalate-birch"]
    assert finish(client, server_b.sign_in_as(authorize, "bea")) == reverse("start")
    assert signed_in_as(client) == person.user


def test_a_partnerships_own_address_goes_straight_to_its_provider(
    a: Partnership, server_a: Provider, client: Client
) -> None:
    response = client.get(reverse("sign_in_organisation_partnership", args=["alder"]))

    assert response["Location"].startswith(server_a.configuration["authorization_endpoint"])
    assert client.get(reverse("sign_in_organisation_partnership", args=["nel"])).status_code == 404


def test_a_shared_domain_asks_which_partnership(
    a: Partnership, b: Partnership, server_b: Provider, client: Client
) -> None:
    page = client.post(reverse("sign_in_organisation"), {"email": "nurse@nhs.example"})

    assert page.status_code == 200
    assert "More than one partnership signs in with addresses at nhs.example" in (
        page.content.decode()
    )
    authorize = start(client, partnership="birch")
    assert authorize.startswith(server_b.configuration["authorization_endpoint"])


def test_an_email_no_partnership_takes_is_told_so(a: Partnership, client: Client) -> None:
    page = client.post(reverse("sign_in_organisation"), {"email": "x@unknown.example"})

    assert page.status_code == 400
    assert "No partnership in Escalate signs in with addresses at unknown.example" in (
        page.content.decode()
    )


def test_a_code_and_state_from_bs_sign_in_cannot_complete_one_started_for_a(
    a: Partnership, b: Partnership, server_b: Provider, client: Client
) -> None:
    """Both sign-ins started in one session; B's provider's answer, carried back with
    the state of A's sign-in, is checked against A's provider, which refuses B's code."""
    person_of(b, "bea@birch.gov.example")
    server_b.set_account("bea-2", email="bea@birch.gov.example")
    started_for_a = parse_qs(urlsplit(start(client, partnership="alder")).query)["state"][0]
    back = urlsplit(server_b.sign_in_as(start(client, partnership="birch"), "bea-2"))
    answer = parse_qs(back.query)
    answer["state"] = [started_for_a]

    location = str(client.get(back.path, answer)["Location"])

    assert refusal(location) == "not_confirmed"
    assert not signed_in_as(client).is_authenticated  # type: ignore[attr-defined]
    # A's state is used up: it cannot be tried again.
    again = client.get(back.path, answer)
    assert refusal(str(again["Location"])) == "not_confirmed"


def id_token_from(server: Provider, *, client_id: str, nonce: str, sub: str) -> str:
    """A real ID token from ``server`` for ``client_id``, as a thief might hold one."""
    authorize = (
        server.configuration["authorization_endpoint"]
        + "?"
        + (
            urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": CALLBACK,
                    "scope": "openid email",
                    "state": "s",
                    "nonce": nonce,
                }
            )
        )
    )
    code = parse_qs(urlsplit(server.sign_in_as(authorize, sub)).query)["code"][0]
    tokens = requests.post(
        server.configuration["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": client_id,
            "client_secret": "any",
        },
        timeout=10,
    )
    tokens.raise_for_status()
    return str(tokens.json()["id_token"])


@pytest.mark.parametrize(
    ("token_from", "client_id", "caught_by"),
    [
        ("b", "escalate-alder", "JWS token verification failed"),  # B's keys, B's issuer
        ("a", "another-app", "issued to another client"),  # A's tenant, someone else's app
    ],
    ids=["token-from-bs-provider", "token-for-another-client"],
)
def test_an_id_token_not_from_as_provider_for_escalate_is_refused(
    a: Partnership,
    b: Partnership,
    server_a: Provider,
    server_b: Provider,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    token_from: str,
    client_id: str,
    caught_by: str,
) -> None:
    """A's token endpoint made to answer with a token it did not issue (the substitution
    an attacker attempts): the key, then the audience, of A's provider refuse it."""
    person_of(a, "ash@alder.gov.example")
    server = {"a": server_a, "b": server_b}[token_from]
    server.set_account("ash-stolen", email="ash@alder.gov.example")
    authorize = start(client, partnership="alder")
    asked = parse_qs(urlsplit(authorize).query)
    stolen = id_token_from(server, client_id=client_id, nonce=asked["nonce"][0], sub="ash-stolen")
    monkeypatch.setattr(
        OrganisationAccountBackend,
        "get_token",
        lambda self, payload: {"id_token": stolen, "access_token": "stolen"},
    )

    with caplog.at_level(logging.WARNING, logger="escalate.common.oidc"):
        location = finish(client, f"{CALLBACK}?code=any&state={asked['state'][0]}")

    assert refusal(location) == "not_confirmed"
    assert caught_by in caplog.text
    assert not signed_in_as(client).is_authenticated  # type: ignore[attr-defined]


def test_a_token_whose_issuer_is_not_the_providers_is_refused(
    a: Partnership, server_a: Provider, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    person_of(a, "ash@alder.gov.example")
    server_a.set_account("ash-3", email="ash@alder.gov.example")
    SignInProvider.objects.filter(partnership=a).update(
        issuer="https://login.microsoftonline.com/alder-tenant/v2.0"
    )

    with caplog.at_level(logging.WARNING, logger="escalate.common.oidc"):
        location = finish(client, server_a.sign_in_as(start(client, partnership="alder"), "ash-3"))

    assert refusal(location) == "not_confirmed"
    assert "issuer not allowed" in caplog.text


def test_an_email_outside_the_providers_domains_is_refused(
    a: Partnership, server_a: Provider, client: Client
) -> None:
    # In A's directory, but A's provider does not sign in addresses at this domain: its
    # administrators could give an account any address they like.
    person_of(a, "ash@birch.gov.example")
    server_a.set_account("ash-elsewhere", email="ash@birch.gov.example")

    location = finish(
        client, server_a.sign_in_as(start(client, partnership="alder"), "ash-elsewhere")
    )

    assert refusal(location) == "domain_not_allowed"
    assert REFUSALS["domain_not_allowed"].replace("'", "&#x27;") in (
        client.get(location).content.decode()
    )
    assert not signed_in_as(client).is_authenticated  # type: ignore[attr-defined]


def test_a_person_of_another_partnership_is_refused_through_as_provider(
    a: Partnership, b: Partnership, server_a: Provider, client: Client
) -> None:
    person_of(b, "nurse.b@nhs.example")
    server_a.set_account("nurse-b", email="nurse.b@nhs.example")

    location = finish(client, server_a.sign_in_as(start(client, partnership="alder"), "nurse-b"))

    assert refusal(location) == "not_in_partnership"


@pytest.mark.parametrize("through", ["alder", "birch"])
def test_someone_placed_in_both_works_in_the_place_of_the_provider_they_came_through(
    a: Partnership,
    b: Partnership,
    server_a: Provider,
    server_b: Provider,
    client: Client,
    through: str,
) -> None:
    in_a = person_of(a, "nurse@nhs.example")
    in_b = PersonFactory(
        user=in_a.user, email=in_a.email, agency=AgencyFactory(partnership=b), name=in_a.name
    )
    server = {"alder": server_a, "birch": server_b}[through]
    server.set_account("nurse", email="nurse@nhs.example")

    location = finish(client, server.sign_in_as(start(client, partnership=through), "nurse"))

    assert location == reverse("start")
    working_in = client.get(reverse("escalations:mine")).wsgi_request.person  # type: ignore[attr-defined]
    assert working_in == {"alder": in_a, "birch": in_b}[through]


def test_a_partnership_role_holder_signs_in_through_its_provider(
    a: Partnership, server_a: Provider, client: Client
) -> None:
    manager = PersonFactory(email="bm@alder.gov.example", agency=None, ladder_role="")
    PartnershipRoleAssignment.objects.create(person=manager, partnership=a, role="business_manager")
    server_a.set_account("bm", email="bm@alder.gov.example")

    location = finish(client, server_a.sign_in_as(start(client, partnership="alder"), "bm"))

    assert location == reverse("start")
    assert signed_in_as(client) == manager.user


def test_an_inactive_person_is_refused(a: Partnership, server_a: Provider, client: Client) -> None:
    person_of(a, "leaver@alder.gov.example", is_active=False)
    server_a.set_account("leaver", email="leaver@alder.gov.example")

    location = finish(client, server_a.sign_in_as(start(client, partnership="alder"), "leaver"))

    assert refusal(location) == "inactive"


def test_a_provider_disabled_mid_sign_in_cannot_complete_it(
    a: Partnership, b: Partnership, server_a: Provider, client: Client
) -> None:
    person_of(a, "ash@alder.gov.example")
    server_a.set_account("ash-4", email="ash@alder.gov.example")
    callback = server_a.sign_in_as(start(client, partnership="alder"), "ash-4")
    SignInProvider.objects.filter(partnership=a).update(is_enabled=False)

    assert refusal(finish(client, callback)) == "not_confirmed"


@override_settings(ESCALATE_SECOND_FACTOR="above_practitioner")
def test_the_providers_mfa_is_trusted_per_provider(
    a: Partnership, b: Partnership, server_a: Provider, server_b: Provider
) -> None:
    SignInProvider.objects.filter(partnership=b).update(trusts_mfa=False)
    lee = person_of(a, "lee@alder.gov.example", ladder_role="line_manager")
    kim = person_of(b, "kim@birch.gov.example", ladder_role="line_manager")
    server_a.set_account("lee", email="lee@alder.gov.example", amr=["pwd", "mfa"])
    server_b.set_account("kim", email="kim@birch.gov.example", amr=["pwd", "mfa"])

    through_a, through_b = Client(), Client()
    finish(through_a, server_a.sign_in_as(start(through_a, partnership="alder"), "lee"))
    finish(through_b, server_b.sign_in_as(start(through_b, partnership="birch"), "kim"))

    assert through_a.get(reverse("escalations:mine")).status_code == 200
    assert OrganisationSignIn.objects.filter(user=lee.user).count() == 1
    assert through_b.get(reverse("escalations:mine"))["Location"] == reverse("second_factor_set_up")
    assert not OrganisationSignIn.objects.filter(user=kim.user).exists()


def test_the_sign_in_page_offers_organisation_accounts_once_a_partnership_has_one(
    client: Client, server_a: Provider
) -> None:
    assert "organisation" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("sign_in_organisation")).status_code == 404

    partnership = Partnership.objects.create(slug="alder", name="Alder Partnership", code="ALD")
    provider_for(partnership, server_a, domains=["alder.gov.example"])

    assert "Sign in with your organisation's account" in (
        client.get(reverse("login")).content.decode()
    )
    chooser = client.get(reverse("sign_in_organisation")).content.decode()
    assert "Your work email address" in chooser
    assert '<option value="alder">Alder Partnership</option>' in chooser


def test_the_instance_wide_provider_takes_emails_no_partnership_does(
    a: Partnership, server_b: Provider, client: Client
) -> None:
    found = server_b.configuration
    with override_settings(
        OIDC_RP_CLIENT_ID="instance-wide",
        OIDC_RP_CLIENT_SECRET="tests-only-not-secret",
        OIDC_OP_AUTHORIZATION_ENDPOINT=found["authorization_endpoint"],
        OIDC_OP_TOKEN_ENDPOINT=found["token_endpoint"],
        OIDC_OP_JWKS_ENDPOINT=found["jwks_uri"],
        OIDC_OP_USER_ENDPOINT=found["userinfo_endpoint"],
        ESCALATE_OIDC_ISSUERS=found["issuer"],
    ):
        person = PersonFactory(email="sam@school.example.org")
        server_b.set_account("sam", email="sam@school.example.org")
        authorize = start(client, email="sam@school.example.org")
        assert parse_qs(urlsplit(authorize).query)["client_id"] == ["instance-wide"]
        assert finish(client, server_b.sign_in_as(authorize, "sam")) == reverse("start")
        assert signed_in_as(client) == person.user


def test_the_command_sets_a_provider_from_discovery_and_keeps_its_secret_hidden(
    server_a: Provider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    partnership = Partnership.objects.create(slug="alder", name="Alder Partnership", code="ALD")
    monkeypatch.setenv("ESCALATE_SIGN_IN_CLIENT_SECRET", "very-secret-value")

    call_command(
        "set_sign_in_provider",
        "alder",
        discovery_url=f"{server_a.url}/.well-known/openid-configuration",
        client_id="escalate-alder",
        domains=["Alder.Gov.Example", "@nhs.example"],
        trust_mfa=False,
    )

    provider = SignInProvider.objects.get(partnership=partnership)
    assert provider.issuer == server_a.configuration["issuer"]
    assert provider.token_endpoint == server_a.configuration["token_endpoint"]
    assert list(provider.domains.values_list("domain", flat=True)) == [
        "alder.gov.example",
        "nhs.example",
    ]
    assert not provider.trusts_mfa
    assert provider.client_secret() == "very-secret-value"
    assert "very-secret-value" not in provider.client_secret_encrypted
    assert "very-secret-value" not in capsys.readouterr().out

    call_command("set_sign_in_provider", "alder", is_enabled=False)
    provider.refresh_from_db()
    assert not provider.is_enabled
    assert provider.client_secret() == "very-secret-value"


def test_a_provider_over_plain_http_is_refused() -> None:
    partnership = Partnership.objects.create(slug="alder", name="Alder Partnership", code="ALD")

    with pytest.raises(ProviderRefused, match="https://"):
        set_sign_in_provider(
            partnership=partnership,
            issuer="http://login.example.org/tenant/v2.0",
            authorization_endpoint="https://login.example.org/authorize",
            token_endpoint="https://login.example.org/token",
            jwks_endpoint="https://login.example.org/keys",
            client_id="escalate",
            client_secret="s",
            domains=["alder.gov.example"],
        )
    assert not SignInProvider.objects.exists()


def test_setting_a_provider_is_recorded_on_the_partnership_s_history_without_the_secret(
    a: Partnership,
) -> None:
    from escalate.audit import events
    from escalate.audit.models import AuditEvent

    recorded = AuditEvent.objects.get(event=events.SIGN_IN_PROVIDER_SET, partnership=a)

    assert "client_secret" in recorded.data["changed"]
    assert recorded.data["domains"] == ["alder.gov.example", "nhs.example"]
    assert "secret-of-alder" not in str(recorded.data)

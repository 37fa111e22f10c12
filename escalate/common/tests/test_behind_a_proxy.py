"""Behind our reverse proxy, sign-in lockout and the read trail see each person's own address,
and a client that writes its own X-Forwarded-For is still known by where it really is.

Through the real middleware stack with Django's test client (REMOTE_ADDR is the proxy's);
``test_lockout_behind_proxy.py`` does the same through a real nginx.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse

from escalate.audit.models import ReadEvent
from escalate.escalations.tests.factories import (
    DEMO_PASSWORD,
    AgencyFactory,
    PersonFactory,
    raise_for,
)

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
ATTACKER = "203.0.113.66"
COLLEAGUE = "203.0.113.7"
behind_the_proxy = override_settings(ESCALATE_TRUSTED_PROXIES=[PROXY])


def _sign_in(email: str, password: str, *, remote_addr: str, forwarded_for: str = "") -> int:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    response = Client().post(
        reverse("login"),
        {"username": email, "password": password},
        REMOTE_ADDR=remote_addr,
        **extra,
    )
    return response.status_code


def _five_wrong_passwords(*, remote_addr: str, forwarded_for: str = "") -> None:
    # A different account each time: the address, not the account, is what gets locked.
    for guess in range(5):
        _sign_in(
            f"guess-{guess}@example.org",
            "wrong-guess-123456",
            remote_addr=remote_addr,
            forwarded_for=forwarded_for,
        )


@behind_the_proxy
def test_guessing_behind_the_proxy_locks_the_guesser_not_the_colleague() -> None:
    target, colleague = PersonFactory(), PersonFactory()

    _five_wrong_passwords(remote_addr=PROXY, forwarded_for=ATTACKER)

    assert _sign_in(target.email, DEMO_PASSWORD, remote_addr=PROXY, forwarded_for=ATTACKER) == 429
    assert (
        _sign_in(colleague.email, DEMO_PASSWORD, remote_addr=PROXY, forwarded_for=COLLEAGUE) == 302
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@behind_the_proxy
def test_a_guesser_who_claims_a_colleague_s_address_is_counted_at_his_own() -> None:
    colleague = PersonFactory()

    _five_wrong_passwords(remote_addr=PROXY, forwarded_for=f"{COLLEAGUE}, {ATTACKER}")

    assert (
        _sign_in(colleague.email, DEMO_PASSWORD, remote_addr=PROXY, forwarded_for=COLLEAGUE) == 302
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@behind_the_proxy
def test_an_untrusted_client_s_header_is_ignored_at_sign_in() -> None:
    colleague = PersonFactory()

    _five_wrong_passwords(remote_addr=ATTACKER, forwarded_for=COLLEAGUE)

    assert (
        _sign_in(colleague.email, DEMO_PASSWORD, remote_addr=PROXY, forwarded_for=COLLEAGUE) == 302
    )
    assert _sign_in(colleague.email, DEMO_PASSWORD, remote_addr=ATTACKER) == 429


@override_settings(ESCALATE_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_one_guesser_locks_everyone_behind_the_proxy() -> None:
    colleague = PersonFactory()

    _five_wrong_passwords(remote_addr=PROXY, forwarded_for=ATTACKER)

    assert (
        _sign_in(colleague.email, DEMO_PASSWORD, remote_addr=PROXY, forwarded_for=COLLEAGUE) == 429
    )


def _read_from(*, remote_addr: str, forwarded_for: str) -> str | None:
    raiser = PersonFactory(agency=AgencyFactory(name="Proxy Primary School"))
    other = AgencyFactory(name="Proxy Children's Services", kind="childrens_social_care")
    escalation = raise_for(raised_by=raiser, other_agency=other)
    client = Client()
    client.force_login(raiser.user)
    response = client.get(
        reverse("escalations:detail", kwargs={"pk": escalation.pk}),
        REMOTE_ADDR=remote_addr,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    assert response.status_code == 200
    return ReadEvent.objects.get(escalation=escalation).ip_address


@behind_the_proxy
def test_the_read_trail_records_the_reader_behind_the_proxy() -> None:
    assert _read_from(remote_addr=PROXY, forwarded_for=f"192.0.2.1, {COLLEAGUE}") == COLLEAGUE


@behind_the_proxy
def test_the_read_trail_ignores_an_untrusted_reader_s_header() -> None:
    assert _read_from(remote_addr=ATTACKER, forwarded_for=COLLEAGUE) == ATTACKER


@override_settings(ESCALATE_TRUSTED_PROXIES=["2001:db8:ffff::/48"])
def test_the_read_trail_records_an_ipv6_reader_behind_an_ipv6_proxy() -> None:
    assert (
        _read_from(remote_addr="2001:db8:ffff::5", forwarded_for="2001:DB8:1:0::7")
        == "2001:db8:1::7"
    )

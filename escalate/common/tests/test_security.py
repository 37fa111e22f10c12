"""Sign-in hardening and web headers, through the real middleware stack."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalate.common.middleware import LAST_SEEN_AT, LAST_SEEN_PRECISION, SIGNED_IN_AT
from escalate.escalations.tests.factories import (
    DEMO_PASSWORD,
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
)
from escalate.organisations.models import PartnershipRoleAssignment

pytestmark = pytest.mark.django_db
ESCALATE = str(Path(sys.executable).parent / "escalate")


def _sign_in(
    client: Client, email: str, password: str = DEMO_PASSWORD, ip: str = "10.0.0.1"
) -> int:
    response = client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip
    )
    return response.status_code


def test_right_password_signs_in() -> None:
    person = PersonFactory()
    client = Client()

    assert _sign_in(client, person.email) == 302
    assert client.get(reverse("escalations:mine")).status_code == 200


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one_next() -> None:
    person = PersonFactory()
    client = Client()
    for _ in range(5):
        _sign_in(client, person.email, password="wrong-guess-123456")

    assert _sign_in(client, person.email) == 429


def test_guessing_across_many_accounts_from_one_address_is_locked_out() -> None:
    people = PersonFactory.create_batch(5)
    client = Client()
    for person in people:
        _sign_in(client, person.email, password="wrong-guess-123456", ip="10.9.9.9")
    fresh = PersonFactory()

    assert _sign_in(client, fresh.email, ip="10.9.9.9") == 429
    assert _sign_in(Client(), fresh.email, ip="10.1.1.1") == 302


@override_settings(ESCALATE_SESSION_IDLE_SECONDS=60)
def test_an_idle_session_is_ended() -> None:
    person = PersonFactory()
    client = Client()
    _sign_in(client, person.email)
    session = client.session
    session[LAST_SEEN_AT] = time.time() - 120
    session.save()

    response = client.get(reverse("escalations:mine"))

    assert response.status_code == 302
    assert "expired=1" in response["Location"]
    assert client.get(reverse("escalations:mine")).status_code == 302


def _session_writes(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return sum('UPDATE "django_session"' in query["sql"] for query in captured)


def test_a_second_request_within_a_minute_does_not_save_the_session() -> None:
    person = PersonFactory()
    client = Client()
    _sign_in(client, person.email)
    client.get(reverse("escalations:mine"))
    seen_at = client.session[LAST_SEEN_AT]

    assert _session_writes(client, reverse("escalations:mine")) == 0
    assert client.session[LAST_SEEN_AT] == seen_at


def test_a_request_a_minute_later_notes_the_time_again() -> None:
    person = PersonFactory()
    client = Client()
    _sign_in(client, person.email)
    session = client.session
    session[LAST_SEEN_AT] = time.time() - LAST_SEEN_PRECISION - 1
    session.save()

    assert _session_writes(client, reverse("escalations:mine")) == 1
    assert time.time() - client.session[LAST_SEEN_AT] < LAST_SEEN_PRECISION


@override_settings(ESCALATE_SESSION_IDLE_SECONDS=60)
def test_a_session_in_use_is_not_ended_for_the_time_between_notes() -> None:
    person = PersonFactory()
    client = Client()
    _sign_in(client, person.email)
    session = client.session
    session[LAST_SEEN_AT] = time.time() - 40  # noted 40 s ago: past half the idle limit
    session.save()

    assert client.get(reverse("escalations:mine")).status_code == 200
    assert time.time() - client.session[LAST_SEEN_AT] < 30


@override_settings(ESCALATE_SESSION_ABSOLUTE_SECONDS=3600)
def test_a_session_ends_after_its_absolute_lifetime_however_active() -> None:
    person = PersonFactory()
    client = Client()
    _sign_in(client, person.email)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 3601
    session.save()

    assert client.get(reverse("escalations:mine")).status_code == 302


def test_sign_out_everywhere_ends_sessions_on_other_devices() -> None:
    person = PersonFactory()
    laptop, phone = Client(), Client()
    _sign_in(laptop, person.email)
    _sign_in(phone, person.email, ip="10.0.0.2")
    session = phone.session
    session[SIGNED_IN_AT] = time.time() - 5
    session.save()

    laptop.post(reverse("sign_out_everywhere"))

    assert phone.get(reverse("escalations:mine")).status_code == 302
    person.refresh_from_db()
    assert person.sessions_revoked_at is not None
    assert person.sessions_revoked_at <= timezone.now()


def test_a_leaver_loses_access_at_the_next_request() -> None:
    person = PersonFactory()
    client = Client()
    _sign_in(client, person.email)
    person.is_active = False
    person.save()

    response = client.get(reverse("escalations:mine"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("escalations:mine")).status_code == 302


def test_someone_whose_partnership_role_is_taken_away_loses_access_at_the_next_request() -> None:
    manager = partnership_person(role="business_manager")
    school, police = AgencyFactory(), AgencyFactory(kind="police")
    escalation = raise_for(raised_by=PersonFactory(agency=school), other_agency=police)
    client = Client()
    client.force_login(manager.user)
    assert client.get(escalation.get_absolute_url()).status_code == 200

    PartnershipRoleAssignment.objects.filter(person=manager).delete()

    assert client.get(escalation.get_absolute_url()).status_code == 404


def test_signed_in_pages_are_never_cached_and_carry_security_headers() -> None:
    person = PersonFactory()
    client = Client()
    _sign_in(client, person.email)

    response = client.get(reverse("escalations:mine"))

    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "escalate.example.org",
        # Not connected to by `check`; production refuses SQLite.
        "DATABASE_URL": "postgres://escalate_app@127.0.0.1:5432/escalate",
        "ESCALATE_CACHE_URL": "redis://127.0.0.1:6379/0",
        "ESCALATE_SITE_URL": "https://escalate.example.org",
        "ESCALATE_AUDIT_KEYS": secrets.token_hex(32),
    }
    env.update(overrides)
    return env


def test_deploy_check_passes_with_no_warnings() -> None:
    result = subprocess.run(
        [ESCALATE, "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_its_secret_key() -> None:
    result = subprocess.run(
        [ESCALATE, "check"],
        env=_production_env(DJANGO_SECRET_KEY=""),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "escalate: DJANGO_SECRET_KEY must be set to a random value of 50 characters or more."
    )

"""The one-time code that roles above practitioner must give after their password."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.escalations.tests.factories import PersonFactory, UserFactory, partnership_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_factor_above_practitioner")]


@pytest.fixture
def second_factor_above_practitioner():
    with override_settings(ESCALATE_SECOND_FACTOR="above_practitioner"):
        yield


def _current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_a_practitioner_needs_only_a_password() -> None:
    client = Client()
    client.force_login(PersonFactory(ladder_role="practitioner").user)

    assert client.get(reverse("escalations:mine")).status_code == 200


@pytest.mark.parametrize("ladder_role", ["line_manager", "safeguarding_lead", "head_of_service"])
def test_roles_above_practitioner_must_set_up_a_second_factor(ladder_role: str) -> None:
    client = Client()
    client.force_login(PersonFactory(ladder_role=ladder_role).user)

    response = client.get(reverse("escalations:mine"))

    assert response.status_code == 302
    assert response["Location"] == reverse("second_factor_set_up")


def test_partnership_roles_must_set_up_a_second_factor() -> None:
    client = Client()
    client.force_login(partnership_person(role="business_manager").user)

    assert client.get(reverse("escalations:mine"))["Location"] == reverse("second_factor_set_up")


def test_setting_up_with_the_right_code_lets_the_manager_in() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    client = Client()
    client.force_login(manager.user)
    page = client.get(reverse("second_factor_set_up"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=manager.user)

    client.post(reverse("second_factor_set_up"), {"code": _current_code(device)})

    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("escalations:mine")).status_code == 200


def test_a_wrong_code_is_refused_with_a_message() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    client = Client()
    client.force_login(manager.user)
    client.get(reverse("second_factor_set_up"))

    response = client.post(reverse("second_factor_set_up"), {"code": "000000"})

    assert "That code is not right" in response.content.decode()
    assert client.get(reverse("escalations:mine")).status_code == 302


def test_a_returning_manager_is_asked_for_a_code_and_then_let_in() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    device = TOTPDevice.objects.create(user=manager.user, name="app", confirmed=True)
    client = Client()
    client.force_login(manager.user)

    assert client.get(reverse("escalations:mine"))["Location"] == reverse("second_factor_verify")
    client.post(reverse("second_factor_verify"), {"code": _current_code(device)})
    assert client.get(reverse("escalations:mine")).status_code == 200


@override_settings(ESCALATE_SECOND_FACTOR="everyone")
def test_the_requirement_can_be_extended_to_everyone() -> None:
    client = Client()
    client.force_login(PersonFactory(ladder_role="practitioner").user)

    assert client.get(reverse("escalations:mine")).status_code == 302


def test_a_session_verified_with_a_device_since_removed_must_give_a_code_again() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    device = TOTPDevice.objects.create(user=manager.user, name="app", confirmed=True)
    client = Client()
    client.force_login(manager.user)
    client.post(reverse("second_factor_verify"), {"code": _current_code(device)})
    assert client.get(reverse("escalations:mine")).status_code == 200

    device.confirmed = False
    device.save()

    assert client.get(reverse("escalations:mine"))["Location"] == reverse("second_factor_set_up")
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_another_users_device_named_in_the_session_does_not_verify_it() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    TOTPDevice.objects.create(user=manager.user, name="app", confirmed=True)
    stranger = TOTPDevice.objects.create(user=PersonFactory().user, name="theirs", confirmed=True)
    client = Client()
    client.force_login(manager.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = stranger.persistent_id
    session.save()

    assert client.get(reverse("escalations:mine"))["Location"] == reverse("second_factor_verify")


def test_an_account_with_no_directory_entry_is_verified_as_django_otp_does_it() -> None:
    staff = UserFactory(is_staff=True)
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("api:reference"))["Location"] == reverse("second_factor_verify")

    client.post(reverse("second_factor_verify"), {"code": _current_code(device)})

    # The page's own answer (no directory entry: 404), no longer the second factor's redirect.
    assert client.get(reverse("api:reference")).status_code == 404
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

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


# --- Recovery codes, the reset, signing out everywhere (issue 12) ----------------------------


def _set_up_in(client: Client, person) -> list[str]:
    client.force_login(person.user)
    client.get(reverse("second_factor_set_up"))
    device = TOTPDevice.objects.get(user=person.user, confirmed=False)
    response = client.post(reverse("second_factor_set_up"), {"code": _current_code(device)})
    assert response.status_code == 200
    codes: list[str] = response.context["codes"]
    return codes


def test_setting_up_shows_the_recovery_codes_once_with_a_warning() -> None:
    client = Client()
    codes = _set_up_in(client, PersonFactory(ladder_role="line_manager"))

    assert len(codes) == 10
    page = client.get(reverse("second_factor_recovery_codes")).content.decode()
    assert "You have 10 unused recovery codes" in page
    assert not any(code in page for code in codes)


def test_the_codes_page_warns_to_keep_them_safe() -> None:
    client = Client()
    manager = PersonFactory(ladder_role="line_manager")
    client.force_login(manager.user)
    client.get(reverse("second_factor_set_up"))
    device = TOTPDevice.objects.get(user=manager.user)

    page = client.post(reverse("second_factor_set_up"), {"code": _current_code(device)})

    assert "Keep these codes safe" in page.content.decode()
    assert "govuk-warning-text" in page.content.decode()


def test_signing_in_with_a_recovery_code_works_once_and_says_how_many_are_left() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    codes = _set_up_in(Client(), manager)
    client = Client()
    client.force_login(manager.user)
    assert (
        reverse("second_factor_recovery")
        in client.get(reverse("second_factor_verify")).content.decode()
    )

    response = client.post(reverse("second_factor_recovery"), {"code": codes[0]}, follow=True)

    assert response.redirect_chain[0][0] == reverse("second_factor_recovery_codes")
    assert "You have 9 recovery codes left" in response.content.decode()
    assert client.get(reverse("escalations:mine")).status_code == 200
    again = Client()
    again.force_login(manager.user)
    refused = again.post(reverse("second_factor_recovery"), {"code": codes[0]})
    assert "already been used" in refused.content.decode()
    assert again.get(reverse("escalations:mine"))["Location"] == reverse("second_factor_verify")


def test_a_new_set_of_codes_from_its_page_stops_the_old_ones() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    client = Client()
    old = _set_up_in(client, manager)

    response = client.post(reverse("second_factor_recovery_codes"))

    new = response.context["codes"]
    assert not set(old) & set(new)
    other = Client()
    other.force_login(manager.user)
    other.post(reverse("second_factor_recovery"), {"code": old[1]})
    assert other.get(reverse("escalations:mine")).status_code == 302


def test_the_codes_page_needs_the_second_factor_given_and_an_app() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    _set_up_in(Client(), manager)
    client = Client()
    client.force_login(manager.user)
    assert client.post(reverse("second_factor_recovery_codes"))["Location"] == reverse(
        "second_factor_verify"
    )
    nobody = Client()
    nobody.force_login(PersonFactory(ladder_role="practitioner").user)
    assert nobody.get(reverse("second_factor_recovery_codes")).status_code == 404


def test_a_password_alone_cannot_replace_the_app() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    TOTPDevice.objects.create(user=manager.user, name="app", confirmed=True)
    client = Client()
    client.force_login(manager.user)

    response = client.get(reverse("second_factor_set_up"))

    assert response["Location"] == reverse("second_factor_verify")
    assert TOTPDevice.objects.filter(user=manager.user).count() == 1


def test_an_administrator_resets_a_second_factor_and_the_person_must_set_up_again(
    django_capture_on_commit_callbacks,
) -> None:
    from django.core import mail

    from escalate.audit import events
    from escalate.audit.models import AuditEvent

    manager = PersonFactory(ladder_role="line_manager")
    managers_browser = Client()
    _set_up_in(managers_browser, manager)
    assert managers_browser.get(reverse("escalations:mine")).status_code == 200
    administrator = partnership_person(role="administrator")
    admin = Client()
    _set_up_in(admin, administrator)
    url = reverse("second_factor_reset", kwargs={"pk": manager.pk})
    assert admin.get(url).status_code == 200
    unticked = admin.post(url)
    assert "Confirm that you have checked" in unticked.content.decode()
    assert TOTPDevice.objects.filter(user=manager.user).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(url, {"identity_checked": "on"})

    assert done["Location"] == reverse("organisations:person_edit", kwargs={"pk": manager.pk})
    assert AuditEvent.objects.filter(event=events.SECOND_FACTOR_RESET).count() == 1
    assert len(mail.outbox) == 1
    assert managers_browser.get(reverse("escalations:mine"))["Location"].startswith(
        reverse("login")
    )
    signing_in = Client()
    signing_in.force_login(manager.user)
    assert signing_in.get(reverse("escalations:mine"))["Location"] == reverse(
        "second_factor_set_up"
    )


def test_nobody_but_an_administrator_reaches_the_reset() -> None:
    manager = PersonFactory(ladder_role="line_manager")
    TOTPDevice.objects.create(user=manager.user, name="app", confirmed=True)
    colleague = PersonFactory(agency=manager.agency, ladder_role="head_of_service")
    TOTPDevice.objects.create(user=colleague.user, name="app", confirmed=True)
    client = Client()
    client.force_login(colleague.user)
    client.post(
        reverse("second_factor_verify"),
        {"code": _current_code(colleague.user.totpdevice_set.get())},
    )
    url = reverse("second_factor_reset", kwargs={"pk": manager.pk})

    assert client.get(url).status_code == 404
    assert client.post(url, {"identity_checked": "on"}).status_code == 404
    assert TOTPDevice.objects.filter(user=manager.user).exists()


def test_signing_out_everywhere_is_recorded_in_the_history() -> None:
    from escalate.audit import events
    from escalate.audit.models import AuditEvent

    person = PersonFactory(ladder_role="practitioner")
    client = Client()
    client.force_login(person.user)

    client.post(reverse("sign_out_everywhere"))

    assert AuditEvent.objects.get(event=events.SIGNED_OUT_EVERYWHERE).actor_id == person.pk

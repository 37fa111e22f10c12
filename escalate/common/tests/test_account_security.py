"""The account-security services: recovery codes, an administrator's reset, signing out
everywhere. Each checks the rows, the history and, for the reset, the one email."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.common import account_security
from escalate.common.account_security import SecondFactorRefused
from escalate.escalations.clock import local_today
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    UserFactory,
    partnership_person,
    raise_for,
)

pytestmark = pytest.mark.django_db

RESET_AT = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _set_up(person) -> list[str]:
    device = account_security.pending_authenticator(person.user)
    return account_security.set_up_second_factor(device=device, code=_code(device))


def _events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name))


@pytest.fixture
def manager():
    return PersonFactory(ladder_role="line_manager", name="Lee Manager")


@pytest.fixture
def administrator():
    return partnership_person(role="administrator", name="Ada Admin")


# --- Setting up ------------------------------------------------------------------------------


def test_setting_up_confirms_the_app_issues_ten_codes_and_is_recorded(manager):
    codes = _set_up(manager)

    assert len(codes) == len(set(codes)) == account_security.RECOVERY_CODE_COUNT
    assert TOTPDevice.objects.get(user=manager.user).confirmed
    assert sorted(
        StaticToken.objects.filter(device__user=manager.user).values_list("token", flat=True)
    ) == sorted(codes)
    (event,) = _events(events.SECOND_FACTOR_SET_UP)
    assert event.actor_id == manager.pk
    assert event.partnership_id == manager.agency.partnership_id
    assert event.data["part"] == "authenticator_app"
    assert not any(code in str(event.data) for code in codes)


def test_a_wrong_code_confirms_nothing_and_records_nothing(manager):
    device = account_security.pending_authenticator(manager.user)

    with pytest.raises(SecondFactorRefused):
        account_security.set_up_second_factor(device=device, code="000000")

    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # the wrong guess still counts
    assert not StaticDevice.objects.exists()
    assert not _events(events.SECOND_FACTOR_SET_UP)


def test_setting_up_a_new_app_replaces_the_old_one(manager):
    _set_up(manager)
    old = TOTPDevice.objects.get(user=manager.user)

    _set_up(manager)

    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.filter(user=manager.user, confirmed=True).count() == 1


# --- Recovery codes --------------------------------------------------------------------------


def test_a_recovery_code_works_once_and_says_how_many_are_left(manager):
    codes = _set_up(manager)

    used = account_security.use_recovery_code(user=manager.user, code=codes[0])

    assert used.remaining == account_security.RECOVERY_CODE_COUNT - 1
    assert used.device.user == manager.user
    (event,) = _events(events.RECOVERY_CODE_USED)
    assert event.actor_id == manager.pk
    assert event.data["remaining"] == account_security.RECOVERY_CODE_COUNT - 1
    assert codes[0] not in str(event.data)


def test_a_used_recovery_code_fails(manager):
    codes = _set_up(manager)
    account_security.use_recovery_code(user=manager.user, code=codes[0])
    StaticDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)

    with pytest.raises(SecondFactorRefused):
        account_security.use_recovery_code(user=manager.user, code=codes[0])

    assert len(_events(events.RECOVERY_CODE_USED)) == 1


def test_a_recovery_code_is_read_as_typed(manager):
    codes = _set_up(manager)
    typed = f"  {codes[1][:4].upper()} - {codes[1][4:]} "

    assert account_security.use_recovery_code(user=manager.user, code=typed).remaining == 9


def test_a_recovery_code_of_another_account_fails(manager):
    theirs = _set_up(PersonFactory(ladder_role="line_manager"))
    _set_up(manager)

    with pytest.raises(SecondFactorRefused):
        account_security.use_recovery_code(user=manager.user, code=theirs[0])

    assert StaticToken.objects.filter(token=theirs[0]).exists()


def test_wrong_guesses_are_throttled_even_for_a_right_code(manager):
    codes = _set_up(manager)
    for _ in range(3):
        with pytest.raises(SecondFactorRefused):
            account_security.use_recovery_code(user=manager.user, code="wrongcode")

    with pytest.raises(SecondFactorRefused):
        account_security.use_recovery_code(user=manager.user, code=codes[0])

    assert StaticToken.objects.filter(token=codes[0]).exists()


def test_a_new_set_of_recovery_codes_stops_the_old_ones(manager):
    old = _set_up(manager)

    new = account_security.replace_recovery_codes(user=manager.user)

    assert not set(old) & set(new)
    with pytest.raises(SecondFactorRefused):
        account_security.use_recovery_code(user=manager.user, code=old[0])
    assert account_security.recovery_codes_left(manager.user) == 10
    assert [e.data["part"] for e in _events(events.SECOND_FACTOR_SET_UP)] == [
        "authenticator_app",
        "recovery_codes",
    ]


def test_recovery_codes_need_an_authenticator_app(manager):
    with pytest.raises(SecondFactorRefused):
        account_security.replace_recovery_codes(user=manager.user)

    assert not StaticToken.objects.exists()


# --- An administrator's reset ----------------------------------------------------------------


def test_a_reset_removes_the_devices_ends_the_sessions_records_and_emails_once(
    manager, administrator, django_capture_on_commit_callbacks
):
    _set_up(manager)

    with django_capture_on_commit_callbacks(execute=True):
        account_security.reset_second_factor(
            person=manager, actor=administrator, actor_user=administrator.user, now=RESET_AT
        )

    assert not TOTPDevice.objects.filter(user=manager.user).exists()
    assert not StaticDevice.objects.filter(user=manager.user).exists()
    assert not StaticToken.objects.exists()
    manager.refresh_from_db()
    assert manager.sessions_revoked_at == RESET_AT
    (event,) = _events(events.SECOND_FACTOR_RESET)
    assert event.actor_id == administrator.pk
    assert event.data == {"person": manager.pk, "devices_removed": 2}
    (email,) = mail.outbox
    assert email.to == [manager.email]
    assert "Ada Admin reset the second factor" in email.body
    assert "set up your authenticator app again" in email.body


def test_the_reset_email_carries_no_case_data(
    manager, administrator, django_capture_on_commit_callbacks
):
    social_care = AgencyFactory(name="Invented Children's Services", kind="childrens_social_care")
    escalation = raise_for(
        raised_by=manager,
        other_agency=social_care,
        counterpart=PersonFactory(agency=social_care),
        today=local_today(),
    )
    _set_up(manager)

    with django_capture_on_commit_callbacks(execute=True):
        account_security.reset_second_factor(
            person=manager, actor=administrator, actor_user=administrator.user
        )

    (email,) = mail.outbox
    text = f"{email.subject}\n{email.body}"
    subject = escalation.subject
    for fact in (subject.name, str(escalation.pk), escalation.reference, social_care.name):
        assert fact and fact not in text


def test_someone_who_administers_nobody_cannot_reset(manager, django_capture_on_commit_callbacks):
    _set_up(manager)
    colleague = PersonFactory(agency=manager.agency, ladder_role="head_of_service")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SecondFactorRefused):
        account_security.reset_second_factor(
            person=manager, actor=colleague, actor_user=colleague.user
        )

    assert TOTPDevice.objects.filter(user=manager.user).exists()
    assert not _events(events.SECOND_FACTOR_RESET)
    assert not mail.outbox


def test_an_administrator_of_another_partnership_cannot_reset(manager):
    from escalate.escalations.tests.factories import shipped_policy

    _set_up(manager)
    elsewhere = partnership_person(role="administrator", policy=shipped_policy("worcestershire"))

    assert account_security.reset_refusal(
        person=manager, actor=elsewhere, actor_user=elsewhere.user
    )


def test_an_administrator_cannot_reset_their_own(administrator):
    _set_up(administrator)

    with pytest.raises(SecondFactorRefused, match="your own"):
        account_security.reset_second_factor(
            person=administrator, actor=administrator, actor_user=administrator.user
        )


def test_only_a_superuser_resets_a_staff_account(administrator):
    staff = PersonFactory(user=UserFactory(is_staff=True), ladder_role="line_manager")
    _set_up(staff)

    refusal = account_security.reset_refusal(
        person=staff, actor=administrator, actor_user=administrator.user
    )

    assert "only a superuser" in refusal
    superuser = UserFactory(is_superuser=True, is_staff=True)
    assert not account_security.reset_refusal(person=staff, actor=None, actor_user=superuser)


def test_there_is_nothing_to_reset_without_a_second_factor(manager, administrator):
    refusal = account_security.reset_refusal(
        person=manager, actor=administrator, actor_user=administrator.user
    )

    assert "nothing to reset" in refusal


# --- Signing out everywhere ------------------------------------------------------------------


def test_signing_out_everywhere_is_recorded(manager):
    before = timezone.now()

    account_security.sign_out_everywhere(person=manager)

    manager.refresh_from_db()
    assert manager.sessions_revoked_at >= before
    (event,) = _events(events.SIGNED_OUT_EVERYWHERE)
    assert event.actor_id == manager.pk
    assert event.partnership_id == manager.agency.partnership_id

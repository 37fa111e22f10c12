"""The audit key: rotated without breaking what older keys signed; a missing key is reported;
a deployment without its own key is warned (decision 22)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from escalate.audit import events
from escalate.audit.chain import BrokenLink
from escalate.audit.checks import check_audit_key
from escalate.audit.keys import configured_keys, current_key
from escalate.audit.services import record, take_checkpoint, verify_chain

OLD, NEW = "old-audit-key-for-tests", "new-audit-key-for-tests"  # not secrets: test values


@pytest.mark.django_db
def test_after_a_rotation_what_the_old_key_signed_still_verifies() -> None:
    with override_settings(ESCALATE_AUDIT_KEYS=OLD), transaction.atomic():
        first = record(events.AGENCY_CREATED, actor=None)
        take_checkpoint(None)
    with override_settings(ESCALATE_AUDIT_KEYS=f"{NEW},{OLD}"):
        with transaction.atomic():
            second = record(events.AGENCY_CREATED, actor=None)
        report = verify_chain(None)

    assert first.key_id != second.key_id
    assert (report.checked, report.broken, report.mismatches) == (2, None, ())


@pytest.mark.django_db
def test_an_event_signed_with_a_key_no_longer_configured_is_reported() -> None:
    with override_settings(ESCALATE_AUDIT_KEYS=OLD), transaction.atomic():
        first = record(events.AGENCY_CREATED, actor=None)
    with override_settings(ESCALATE_AUDIT_KEYS=NEW):
        report = verify_chain(None)

    assert report.broken == BrokenLink(
        first.pk, f"it is signed with audit key {first.key_id}, not configured"
    )


def test_without_a_configured_key_one_is_derived_from_the_secret_key_and_deploy_warns() -> None:
    with override_settings(ESCALATE_AUDIT_KEYS="", SECRET_KEY="s" * 50, DEBUG=False):
        derived = current_key()
        assert [message.id for message in check_audit_key()] == ["audit.W001"]
    with override_settings(ESCALATE_AUDIT_KEYS=" ,", SECRET_KEY="t" * 50):
        assert current_key() != derived
    with override_settings(ESCALATE_AUDIT_KEYS=NEW):
        assert check_audit_key() == []
        assert [key.key_id for key in configured_keys()] == [current_key().key_id]
    assert "secret" not in repr(current_key()) and OLD not in repr(current_key())

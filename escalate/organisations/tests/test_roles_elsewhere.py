"""One person, roles in several partnerships: each partnership's administrator grants and
revokes the roles held there, each recorded on that partnership's history, and leaves the
person's own entry to their own partnership."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain.policy import PartnershipRole
from escalate.organisations.models import Person
from escalate.organisations.tests.conftest import administrator_of
from escalate.policies.models import Partnership
from escalate.reporting.selectors import overseen_partnership_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def hillside_admin(client: Client, other_partnership: Partnership) -> Client:
    client.force_login(administrator_of(other_partnership, name="Hal Hillside").user)
    return client


def give_chair(client: Client, person: Person, partnership: Partnership) -> Any:
    return client.post(
        "/directory/people/from-elsewhere/",
        {"email": person.email.upper(), "partnership_roles": [f"{partnership.pk}:chair"]},
    )


def test_another_partnership_gives_a_role_and_records_it_on_its_own_history(
    hillside_admin: Client, practitioner: Person, other_partnership: Partnership
) -> None:
    response = give_chair(hillside_admin, practitioner, other_partnership)

    assert response.status_code == 302
    assert practitioner.viewer().has_partnership_role(other_partnership.pk, {PartnershipRole.CHAIR})
    granted = AuditEvent.objects.get(event=events.ROLE_GRANTED)
    assert granted.partnership_id == other_partnership.pk
    assert granted.data == {"person": practitioner.pk, "role": "chair"}
    directory = hillside_admin.get("/directory/").content.decode()
    assert practitioner.name in directory


def test_access_stays_per_partnership(
    hillside_admin: Client, practitioner: Person, other_partnership: Partnership
) -> None:
    hillside_admin.post(
        "/directory/people/from-elsewhere/",
        {
            "email": practitioner.email,
            "partnership_roles": [f"{other_partnership.pk}:business_manager"],
        },
    )

    assert overseen_partnership_ids(practitioner) == [other_partnership.pk]


def test_nobody_by_that_address_is_refused_beside_the_field(
    hillside_admin: Client, other_partnership: Partnership
) -> None:
    page = hillside_admin.post(
        "/directory/people/from-elsewhere/",
        {"email": "nobody@example.org", "partnership_roles": [f"{other_partnership.pk}:chair"]},
    )

    assert page.status_code == 200
    assert "No one in Escalate has this email address" in page.content.decode()
    assert not AuditEvent.objects.filter(event=events.ROLE_GRANTED).exists()


def test_their_own_entry_stays_their_own_partnership_s_and_roles_here_can_be_revoked(
    hillside_admin: Client, practitioner: Person, other_partnership: Partnership
) -> None:
    give_chair(hillside_admin, practitioner, other_partnership)
    edit = f"/directory/people/{practitioner.pk}/edit/"
    entry = {
        "name": practitioner.name,
        "email": practitioner.email,
        "job_title": practitioner.job_title,
        "agency": practitioner.agency_id,
        "ladder_role": practitioner.ladder_role,
        "is_active": "on",
    }

    renamed = hillside_admin.post(edit, {**entry, "name": "Someone Else"})
    assert "only its administrators change their details" in renamed.content.decode()

    revoked = hillside_admin.post(edit, entry)  # no roles ticked: the chair's role goes

    assert revoked.status_code == 302
    practitioner.refresh_from_db()
    assert practitioner.name == "Priya Practitioner"
    assert not practitioner.partnership_roles.exists()
    assert AuditEvent.objects.filter(
        event=events.ROLE_REVOKED, partnership=other_partnership
    ).exists()

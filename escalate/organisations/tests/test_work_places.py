"""Every page says which partnerships the signed-in person works in, read with the person."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.domain.policy import PartnershipRole
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.policies.models import Partnership

pytestmark = pytest.mark.django_db


def test_a_person_in_two_partnerships_sees_both_on_every_page(
    client: Client, practitioner: Person, school: Agency, other_partnership: Partnership
) -> None:
    PartnershipRoleAssignment.objects.create(
        person=practitioner, partnership=other_partnership, role=PartnershipRole.CHAIR.value
    )
    client.force_login(practitioner.user)

    page = client.get("/escalations/").content.decode()

    assert f"{school.partnership.name} ({school.name})" in page
    assert f"{other_partnership.name} (chair)" in page


def test_someone_in_one_partnership_sees_just_it(
    client: Client, practitioner: Person, school: Agency, other_partnership: Partnership
) -> None:
    client.force_login(practitioner.user)

    page = client.get("/escalations/").content.decode()

    assert f"{school.partnership.name} ({school.name})" in page
    assert other_partnership.name not in page

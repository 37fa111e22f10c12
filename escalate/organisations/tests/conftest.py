"""A partnership with an administrator, a practitioner and a second, unrelated partnership.

Every name and address is invented.
"""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.domain.policy import PartnershipRole
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, UserFactory
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.policies.models import Partnership


@pytest.fixture
def partnership(db: None) -> Partnership:
    return Partnership.objects.create(
        slug="riverside", name="Riverside Safeguarding Partnership", code="RIV"
    )


@pytest.fixture
def other_partnership(db: None) -> Partnership:
    return Partnership.objects.create(
        slug="hillside", name="Hillside Safeguarding Partnership", code="HIL"
    )


@pytest.fixture
def school(partnership: Partnership) -> Agency:
    return AgencyFactory(
        partnership=partnership, name="Brookfield Primary School", kind="education"
    )


def administrator_of(partnership: Partnership, **kwargs: object) -> Person:
    person = PersonFactory(
        agency=None, ladder_role="", job_title="Directory administrator", **kwargs
    )
    PartnershipRoleAssignment.objects.create(
        person=person, partnership=partnership, role=PartnershipRole.ADMINISTRATOR.value
    )
    return person


@pytest.fixture
def administrator(partnership: Partnership) -> Person:
    return administrator_of(partnership, name="Ada Admin")


@pytest.fixture
def practitioner(school: Agency) -> Person:
    return PersonFactory(agency=school, name="Priya Practitioner")


@pytest.fixture
def admin_client(client: Client, administrator: Person) -> Client:
    client.force_login(administrator.user)
    return client


@pytest.fixture
def superuser(db: None) -> object:
    user = UserFactory(username="root@example.org")
    user.is_superuser = True
    user.is_staff = True
    user.save()
    return user

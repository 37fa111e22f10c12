"""``Person.viewer()``: the roles the request already read, or fresh from the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from escalate.domain.policy import PartnershipRole
from escalate.escalations.tests.factories import partnership_person, shipped_policy
from escalate.organisations.middleware import signed_in_person
from escalate.organisations.models import PartnershipRoleAssignment, Person

pytestmark = pytest.mark.django_db


def _request_for(person: Person) -> Any:
    request: Any = RequestFactory().get("/")
    request.user = person.user
    request.session = SessionStore()
    return request


def test_a_plain_person_reads_their_roles_fresh(django_assert_num_queries) -> None:
    person = Person.objects.select_related("user").get(pk=partnership_person(role="chair").pk)

    with django_assert_num_queries(1):
        roles = person.viewer().partnership_roles

    partnership = shipped_policy().partnership
    assert roles == {(partnership.pk, PartnershipRole.CHAIR)}


def test_the_signed_in_person_comes_with_every_role_in_one_query(
    django_assert_num_queries,
) -> None:
    chair = partnership_person(role="chair")
    partnership = shipped_policy().partnership
    PartnershipRoleAssignment.objects.create(
        person=chair, partnership=partnership, role=PartnershipRole.PANEL_MEMBER
    )

    with django_assert_num_queries(1):
        person = signed_in_person(_request_for(chair))
        assert person is not None
        viewer = person.viewer()

    assert viewer.partnership_roles == {
        (partnership.pk, PartnershipRole.CHAIR),
        (partnership.pk, PartnershipRole.PANEL_MEMBER),
    }
    assert viewer.is_active


def test_someone_with_no_role_is_read_with_none(django_assert_num_queries) -> None:
    chair = partnership_person(role="chair")
    PartnershipRoleAssignment.objects.filter(person=chair).delete()

    person = signed_in_person(_request_for(chair))

    assert person is not None and person.pk == chair.pk
    with django_assert_num_queries(0):
        assert person.viewer().partnership_roles == frozenset()

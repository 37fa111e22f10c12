"""Hostile input that was a server error is now a clear refusal, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from escalate.api.models import ApiToken
from escalate.api.tokens import issue_token
from escalate.escalations.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_an_address_longer_than_any_email_is_a_failed_sign_in(client: Client) -> None:
    response = client.post("/sign-in/", {"username": "a" * 300 + "@example.org", "password": "x"})

    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()


def test_a_body_nested_too_deep_to_parse_is_a_400(client: Client) -> None:
    person = PersonFactory()
    secret = issue_token(
        person=person,
        actor=person,
        name="Hostile",
        scope=ApiToken.Scope.WRITE,
        lifetime=timedelta(days=1),
    ).secret
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    response = api.post(
        "/api/v1/escalations/",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="deep",
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()

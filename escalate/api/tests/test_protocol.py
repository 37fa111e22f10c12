"""What every call can rely on: problem documents, idempotent POSTs, rate limits."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from escalate.api.models import IdempotencyRecord
from escalate.api.tests.conftest import API_URLS, World, client_for
from escalate.escalations.clock import local_today
from escalate.escalations.models import Contact, Escalation

pytestmark = pytest.mark.urls(API_URLS)


def raise_body(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "subject": {"kind": "child", "name": "Alex Invented", "case_reference": "CASE-0003"},
        "other_agency": world.social_care.pk,
        "category": world.escalation.category,
        "decision_disputed": "Referral judged below threshold.",
        "evidence": "Three missed appointments.",
        "desired_outcome": "A strategy discussion.",
        **overrides,
    }


# --- Problem documents ------------------------------------------------------------------------


def test_a_validation_problem_has_the_rfc_9457_shape(world: World):
    response = client_for(world.raiser).post(
        "/api/v1/escalations/", {"subject": {"kind": "child"}}, format="json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "errors"}
    assert body["status"] == 400
    assert body["instance"] == "/api/v1/escalations/"
    pointers = {error["pointer"] for error in body["errors"]}
    assert {"#/subject/name", "#/other_agency", "#/category"} <= pointers
    assert all(set(error) == {"pointer", "detail"} for error in body["errors"])


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[]", "application/json", 400),
        ("subject=x", "application/x-www-form-urlencoded", 415),
        ('"a string"', "application/json", 400),
    ],
)
def test_malformed_bodies_are_problems_not_errors(world: World, data, content_type, status):
    response = client_for(world.raiser).generic(
        "POST", "/api/v1/escalations/", data, content_type=content_type
    )

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_path_is_a_problem_document(world: World):
    response = client_for(world.raiser).get("/api/v1/no/such/thing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_method_not_allowed_is_a_problem_document_with_allow(world: World):
    response = client_for(world.raiser).delete("/api/v1/escalations/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET, OPTIONS, POST"


def test_only_json_is_offered(world: World):
    response = client_for(world.raiser).get("/api/v1/escalations/", HTTP_ACCEPT="text/csv")

    assert response.status_code == 406


def test_without_a_token_the_answer_is_401_with_a_challenge(db):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/escalations/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="escalate"'
    assert response.json()["type"] == "about:blank"


# --- Idempotency-Key --------------------------------------------------------------------------


def test_a_retried_raise_returns_the_first_response_and_creates_one_escalation(world: World):
    client = client_for(world.raiser)
    before = Escalation.objects.count()

    first = client.post(
        "/api/v1/escalations/", raise_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    retry = client.post(
        "/api/v1/escalations/", raise_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["ETag"] == first["ETag"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Escalation.objects.count() == before + 1


def test_a_reused_key_with_a_different_body_is_422(world: World):
    client = client_for(world.raiser)
    client.post("/api/v1/escalations/", raise_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k")
    before = Escalation.objects.count()

    response = client.post(
        "/api/v1/escalations/",
        raise_body(world, evidence="Something else."),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert Escalation.objects.count() == before


def test_keys_belong_to_one_person(world: World):
    body = raise_body(world)
    client_for(world.raiser).post(
        "/api/v1/escalations/", body, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    other_raiser = world.counterpart
    body = raise_body(world, other_agency=world.school.pk)

    response = client_for(other_raiser).post(
        "/api/v1/escalations/", body, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_a_failed_request_is_not_remembered(world: World):
    client = client_for(world.raiser)
    bad = client.post(
        "/api/v1/escalations/", {"subject": {}}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    good = client.post(
        "/api/v1/escalations/", raise_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )

    assert bad.status_code == 400
    assert good.status_code == 201
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-3"]


def test_a_retried_change_is_replayed_even_though_the_etag_moved_on(world: World):
    client = client_for(world.raiser)
    path = f"/api/v1/escalations/{world.escalation.pk}/contacts/"
    body = {
        "kind": "meeting",
        "between": "Sam and Kim",
        "summary": "Met.",
        "outcome": "Agreed to talk again.",
        "happened_on": local_today().isoformat(),
    }

    first = client.post(path, body, format="json", HTTP_IF_MATCH='"1"', HTTP_IDEMPOTENCY_KEY="c")
    retry = client.post(path, body, format="json", HTTP_IF_MATCH='"1"', HTTP_IDEMPOTENCY_KEY="c")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert Contact.objects.filter(escalation=world.escalation).count() == 1


def _age_every_key() -> None:
    IdempotencyRecord.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.ESCALATE_API_IDEMPOTENCY_HOURS + 1)
    )


def test_expired_keys_are_cleared_by_later_writes(world: World):
    client = client_for(world.raiser)
    client.post(
        "/api/v1/escalations/", raise_body(world), format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    _age_every_key()

    later = client.post(
        "/api/v1/escalations/",
        raise_body(world, evidence="Later."),
        format="json",
        HTTP_IDEMPOTENCY_KEY="new",
    )

    assert later.status_code == 201
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two connections holding row locks need PostgreSQL; set DATABASE_URL to run",
)
@pytest.mark.django_db(transaction=True)
def test_a_write_does_not_wait_for_another_clearing_the_same_expired_keys(world: World):
    client = client_for(world.raiser)
    client.post(
        "/api/v1/escalations/", raise_body(world), format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    _age_every_key()
    locked, release = threading.Event(), threading.Event()

    def another_write_clearing() -> None:
        with transaction.atomic():
            list(IdempotencyRecord.objects.select_for_update().filter(key="old"))
            locked.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=another_write_clearing)
    holder.start()
    assert locked.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '3s'")  # waiting would fail the request, not hang
    try:
        response = client.post(
            "/api/v1/escalations/",
            raise_body(world, evidence="Meanwhile."),
            format="json",
            HTTP_IDEMPOTENCY_KEY="new",
        )
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")

    assert response.status_code == 201, response.content
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"old", "new"}


def test_an_unusable_key_is_a_400_for_the_header(world: World):
    response = client_for(world.raiser).post(
        "/api/v1/escalations/", raise_body(world), format="json", HTTP_IDEMPOTENCY_KEY="é" * 3
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["header"] == "Idempotency-Key"


# --- Rate limits ---------------------------------------------------------------------------


@override_settings(ESCALATE_API_RATES={"read": "3/minute", "write": "1/minute"})
def test_too_many_requests_for_a_token_are_429_with_retry_after(world: World):
    client = client_for(world.raiser)
    statuses = [client.get("/api/v1/escalations/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/escalations/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"] == "application/problem+json"


@override_settings(ESCALATE_API_RATES={"read": "2/minute", "write": "1/minute"})
def test_each_token_has_its_own_allowance(world: World):
    first, second = client_for(world.raiser), client_for(world.raiser)
    for _ in range(2):
        first.get("/api/v1/escalations/")

    assert first.get("/api/v1/escalations/").status_code == 429
    assert second.get("/api/v1/escalations/").status_code == 200


@override_settings(ESCALATE_API_RATES={"read": "100/minute", "write": "1/minute"})
def test_writes_have_their_own_lower_allowance(world: World):
    client = client_for(world.raiser)
    client.post("/api/v1/escalations/", raise_body(world), format="json")

    response = client.post("/api/v1/escalations/", raise_body(world), format="json")

    assert response.status_code == 429
    assert client.get("/api/v1/escalations/").status_code == 200

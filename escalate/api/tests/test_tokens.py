"""API tokens: stored hashed, shown once, scoped, expiring, revocable; and their pages."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from escalate.api import tokens
from escalate.api.models import ApiToken
from escalate.api.tests.conftest import API_URLS, World, token_for
from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.escalations.tests.factories import PersonFactory

pytestmark = pytest.mark.urls(API_URLS)


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def test_only_the_hash_of_the_secret_is_stored(world: World):
    secret = token_for(world.raiser)

    token = ApiToken.objects.get(person=world.raiser)
    assert secret.startswith(f"esc_{token.prefix}_")
    assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get(pk=token.pk))


def test_a_token_acts_as_its_person_and_records_when_it_was_used(world: World):
    secret = token_for(world.raiser)

    response = bearer(secret).get("/api/v1/people/me/")

    assert response.status_code == 200
    assert response.json()["id"] == world.raiser.pk
    assert ApiToken.objects.get(person=world.raiser).last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda secret: secret[:-1] + ("A" if secret[-1] != "A" else "B"),
        lambda secret: "esc_nothing_here",
        lambda secret: "not-a-token",
        lambda secret: secret.replace("esc_", "", 1),
    ],
    ids=["wrong secret", "unknown prefix", "no shape", "no start"],
)
def test_a_wrong_token_is_401(world: World, mangle):
    response = bearer(mangle(token_for(world.raiser))).get("/api/v1/escalations/")

    assert response.status_code == 401
    assert response.json()["detail"] == "The token is not valid."


def test_an_expired_token_is_401(world: World):
    secret = token_for(world.raiser)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = bearer(secret).get("/api/v1/escalations/")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_is_401(world: World):
    secret = token_for(world.raiser)
    tokens.revoke_token(token=ApiToken.objects.get(), actor=world.raiser)

    response = bearer(secret).get("/api/v1/escalations/")

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_leavers_token_stops_working_at_once(world: World):
    secret = token_for(world.raiser)
    world.raiser.is_active = False
    world.raiser.save(update_fields=["is_active"])

    response = bearer(secret).get("/api/v1/escalations/")

    assert response.status_code == 401


def test_a_read_token_reads_but_cannot_change(world: World):
    client = bearer(token_for(world.raiser, "read"))
    assert client.get(f"/api/v1/escalations/{world.escalation.pk}/").status_code == 200

    response = client.post(
        f"/api/v1/escalations/{world.escalation.pk}/escalate/",
        {"reason": "x"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_browser_session_does_not_reach_the_resources(world: World):
    response = signed_in(world.raiser).get("/api/v1/escalations/")

    assert response.status_code == 401


def test_only_the_person_or_their_administrator_lists_and_revokes_tokens(world: World):
    assert tokens.may_manage_tokens_of(world.raiser, world.raiser)
    assert tokens.may_manage_tokens_of(world.administrator, world.raiser)
    assert not tokens.may_manage_tokens_of(world.counterpart, world.raiser)
    assert not tokens.may_manage_tokens_of(world.business_manager, world.raiser)
    elsewhere = PersonFactory(agency__partnership=tokens_partnership("worcestershire"))
    assert not tokens.may_manage_tokens_of(world.administrator, elsewhere)


def test_only_the_holder_mints_their_token(world: World):
    assert tokens.may_mint_token_for(world.raiser, world.raiser)
    assert not tokens.may_mint_token_for(world.administrator, world.raiser)
    assert not tokens.may_mint_token_for(world.counterpart, world.raiser)


def test_an_administrator_cannot_mint_a_token_for_someone_else(world: World):
    with pytest.raises(PermissionDenied):
        tokens.issue_token(
            person=world.raiser,
            actor=world.administrator,
            name="As someone else",
            scope=ApiToken.Scope.READ,
            lifetime=timedelta(days=30),
        )

    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(event=events.API_TOKEN_ISSUED).exists()


def test_a_minted_token_is_its_holders_and_its_minting_is_recorded(world: World):
    issued = tokens.issue_token(
        person=world.raiser,
        actor=world.raiser,
        name="School MIS",
        scope=ApiToken.Scope.READ,
        lifetime=timedelta(days=90),
    )

    assert issued.token.person == world.raiser
    assert issued.token.created_by == world.raiser
    assert issued.token.scope == ApiToken.Scope.READ
    event = AuditEvent.objects.get(event=events.API_TOKEN_ISSUED)
    assert event.actor_id == world.raiser.pk
    assert event.data["person"] == world.raiser.pk
    assert event.data["scope"] == "read"
    assert secret_not_in(issued.secret, event.data)
    assert bearer(issued.secret).get("/api/v1/people/me/").json()["id"] == world.raiser.pk


def secret_not_in(secret: str, data: dict[str, Any]) -> bool:
    return secret not in str(data) and secret.split("_")[-1] not in str(data)


@pytest.mark.parametrize(
    ("scope", "days"),
    [("admin", 30), ("read", 0), ("read", 366), ("write", -1)],
    ids=["unknown scope", "no lifetime", "longer than offered", "already expired"],
)
def test_a_token_needs_a_known_scope_and_an_offered_lifetime(world: World, scope, days):
    with pytest.raises(PermissionDenied):
        tokens.issue_token(
            person=world.raiser,
            actor=world.raiser,
            name="Odd",
            scope=scope,
            lifetime=timedelta(days=days),
        )

    assert not ApiToken.objects.exists()


def test_an_administrator_revokes_someone_elses_token_and_it_is_recorded(world: World):
    secret = token_for(world.raiser)

    token = tokens.revoke_token(token=ApiToken.objects.get(), actor=world.administrator)

    assert token.revoked_by == world.administrator
    event = AuditEvent.objects.get(event=events.API_TOKEN_REVOKED)
    assert event.actor_id == world.administrator.pk
    assert event.data["person"] == world.raiser.pk
    assert bearer(secret).get("/api/v1/people/me/").status_code == 401


def test_nobody_else_revokes_someones_token(world: World):
    token_for(world.raiser)

    with pytest.raises(PermissionDenied):
        tokens.revoke_token(token=ApiToken.objects.get(), actor=world.counterpart)

    assert ApiToken.objects.get().revoked_at is None


def tokens_partnership(slug: str):
    from escalate.escalations.tests.factories import shipped_policy

    return shipped_policy(slug).partnership


# --- The pages ---------------------------------------------------------------------------------


def test_creating_a_token_shows_the_secret_once(world: World):
    client = signed_in(world.raiser)
    assert client.get("/api/tokens/new/").status_code == 200

    response = client.post(
        "/api/tokens/new/", {"name": "School MIS", "scope": "write", "lifetime_days": "90"}
    )

    assert response.status_code == 200
    token = ApiToken.objects.get(person=world.raiser)
    secret = response.context["secret"]
    assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret in response.content.decode()
    assert token.created_by == world.raiser
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    listing = client.get("/api/tokens/").content.decode()
    assert "School MIS" in listing
    assert secret not in listing
    assert bearer(secret).get("/api/v1/people/me/").status_code == 200


def test_the_token_form_shows_its_errors(world: World):
    response = signed_in(world.raiser).post("/api/tokens/new/", {"scope": "admin"})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_from_its_page(world: World):
    secret = token_for(world.raiser)
    token = ApiToken.objects.get()
    client = signed_in(world.raiser)
    assert client.get(f"/api/tokens/{token.pk}/revoke/").status_code == 200

    response = client.post(f"/api/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == world.raiser
    assert bearer(secret).get("/api/v1/people/me/").status_code == 401


def test_an_administrator_sees_and_revokes_someone_elses_tokens_but_cannot_create_one(
    world: World,
):
    secret = token_for(world.raiser)
    token = ApiToken.objects.get()
    client = signed_in(world.administrator)

    found = client.get("/api/tokens/people/", {"email": world.raiser.email})
    assert found.status_code == 302
    listing = client.get(found["Location"])
    assert listing.status_code == 200
    assert "Create a token" not in listing.content.decode()
    created = client.post(
        f"/api/tokens/people/{world.raiser.pk}/new/",
        {"name": "Case system", "scope": "read", "lifetime_days": "30"},
    )
    assert created.status_code == 404
    assert ApiToken.objects.filter(person=world.raiser).count() == 1
    client.post(f"/api/tokens/{token.pk}/revoke/")
    assert bearer(secret).get("/api/v1/people/me/").status_code == 401


def test_the_token_an_administrator_creates_is_their_own(world: World):
    client = signed_in(world.administrator)

    client.post("/api/tokens/new/", {"name": "Mine", "scope": "read", "lifetime_days": "30"})

    token = ApiToken.objects.get()
    assert token.person == world.administrator
    assert token.created_by == world.administrator


def test_the_token_form_offers_each_scope_and_lifetime(world: World):
    page = signed_in(world.raiser).get("/api/tokens/new/").content.decode()

    for value in ("read", "write", "30", "90", "180", "365"):
        assert f'value="{value}"' in page


def test_nobody_else_reaches_someones_tokens(world: World):
    token_for(world.raiser)
    token = ApiToken.objects.get()
    client = signed_in(world.counterpart)

    assert client.get(f"/api/tokens/people/{world.raiser.pk}/").status_code == 404
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get("/api/tokens/people/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_pages_need_signing_in(db):
    response = Client().get("/api/tokens/")

    assert response.status_code == 302

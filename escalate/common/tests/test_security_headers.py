"""Security headers on every page: each GET-able URL of the permission matrix, as someone
entitled to it (and signed out, where the page is public).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse

from escalate.common.tests.figures import record_figure
from escalate.common.tests.test_url_matrix import ANONYMOUS, MATRIX, Case, Clients, World
from escalate.escalations.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def header_problems(response: HttpResponse, *, signed_in: bool) -> list[str]:
    problems = []
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        problems.append("no Content-Security-Policy")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append(f"an unsafe Content-Security-Policy: {policy}")
    if "frame-ancestors 'none'" not in policy:
        problems.append("no frame-ancestors 'none'")
    if "script-src 'self'" not in policy and "default-src 'self'" not in policy:
        problems.append("scripts not limited to this site")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not response.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if response.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    if signed_in and "no-store" not in response.get("Cache-Control", ""):
        problems.append(f"cached while signed in: {response.get('Cache-Control')!r}")
    return problems


def get_able(world: World) -> dict[str, list[Case]]:
    """For each URL pattern: one GET that answers 200 to someone signed in and, where the
    page is public, the same GET signed out."""
    found: dict[str, list[Case]] = {}
    for name, build in sorted(MATRIX.items()):
        answered = [case for case in build(world) if case.method == "GET" and case.expected == 200]
        chosen = [case for case in answered if case.role != ANONYMOUS][:1]
        chosen += [case for case in answered if case.role == ANONYMOUS][:1]
        if chosen:
            found[name] = chosen
    return found


def test_every_get_able_page_sends_the_security_headers(record_property: Any) -> None:
    world = World()
    clients = Clients(world)
    pages = get_able(world)
    problems = []
    sound = 0
    for name, cases in pages.items():
        found = []
        for case in cases:
            response = clients.for_case(case).get(case.path)
            assert response.status_code == 200, f"{name} as {case.role}"
            found += [
                f"{name} ({case.path}) as {case.role}: {problem}"
                for problem in header_problems(response, signed_in=case.role != ANONYMOUS)
            ]
        sound += not found
        problems += found

    record_figure(record_property, "header_pages", len(pages))
    record_figure(record_property, "header_pages_sound", sound)
    assert not problems, "\n".join(problems)
    assert len(pages) >= 30


def test_the_admin_site_sends_them_too(client: Client, record_property: Any) -> None:
    staff = UserFactory(username="staff@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)

    response = client.get(reverse("admin:index"))
    problems = header_problems(response, signed_in=True)

    record_figure(record_property, "header_pages", 1)
    record_figure(record_property, "header_pages_sound", int(not problems))
    assert response.status_code == 200
    assert problems == []


@pytest.mark.parametrize("status", [403, 404])
def test_refusals_send_them_too(status: int) -> None:
    world = World()
    clients = Clients(world)
    early = world.early
    role = "manager of an unrelated agency" if status == 404 else "scrutineer, at the final stage"
    escalation = world.final if status == 403 else early
    path = reverse("escalations:record_contact", kwargs={"pk": escalation.pk})

    response = clients.for_case(Case(role=role, method="GET", path=path, expected=status)).get(path)

    assert response.status_code == status
    assert header_problems(response, signed_in=True) == []


@override_settings(ESCALATE_METRICS_TOKEN="scrape-token-for-the-test")
def test_the_metrics_scrape_sends_them_too(client: Client) -> None:
    # The probes are in the matrix above; the scrape answers only with its token.
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer scrape-token-for-the-test")

    assert response.status_code == 200
    assert header_problems(response, signed_in=False) == []

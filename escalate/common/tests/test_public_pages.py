"""The pages a public service publishes, and its error pages: the accessibility statement and
the privacy notice answer anyone and are linked from every page's footer; a page someone may
not see is the GOV.UK "Page not found" (in the demo too), and refusals and failures have
GOV.UK pages of their own."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.test import Client, override_settings
from django.urls import path, reverse

from config.urls import urlpatterns as config_urlpatterns
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, raise_for
from escalate.organisations.models import Person
from escalate.policies.models import RetentionRule

PUBLIC_PAGES = {
    "accessibility_statement": "Accessibility statement for Escalate",
    "privacy_notice": "Privacy notice",
}
# What Django's debug 404 page says; the service's own page says none of it.
DEBUG_PAGE_MARKS = ("URLconf", "urlpatterns", "DEBUG = True", "Django tried these URL patterns")


def _refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("An internal reason that must not be shown.")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("Something went wrong inside.")


# This module is also the URLconf of the error-page tests: every real URL (the base template
# links to some) and two views that fail.
urlpatterns = [
    *config_urlpatterns,
    path("test-only/refused/", _refused),
    path("test-only/broken/", _broken),
]


def heading(response: HttpResponse) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.DOTALL)
    assert match, "the page has no h1"
    return match.group(1).strip()


def footer(response: HttpResponse) -> str:
    content = response.content.decode()
    return content[content.index('<footer class="govuk-footer">') :]


@pytest.fixture
def practitioner(db: None) -> Person:
    return PersonFactory(agency=AgencyFactory(name="Footer Primary School"), name="Pat Footer")


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
@pytest.mark.parametrize("name", sorted(PUBLIC_PAGES))
def test_the_public_pages_answer_anyone(
    client: Client, practitioner: Person, name: str, signed_in: bool
) -> None:
    if signed_in:
        client.force_login(practitioner.user)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert heading(response) == PUBLIC_PAGES[name]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "signed_in"),
    [("login", False), ("policies:home", False), ("escalations:mine", True)],
    ids=["sign-in page", "procedures", "your escalations"],
)
def test_every_page_footer_links_to_the_statement_and_the_notice(
    client: Client, practitioner: Person, page: str, signed_in: bool
) -> None:
    if signed_in:
        client.force_login(practitioner.user)

    links = re.findall(
        r'<a class="govuk-footer__link" href="([^"]+)">([^<]+)</a>',
        footer(client.get(reverse(page))),
    )

    assert links == [
        (reverse("accessibility_statement"), "Accessibility statement"),
        (reverse("privacy_notice"), "Privacy notice"),
    ]
    for href, _ in links:
        assert client.get(href).status_code == 200


@pytest.mark.django_db
def test_the_public_pages_refuse_to_change_anything(client: Client) -> None:
    for name in PUBLIC_PAGES:
        assert client.post(reverse(name)).status_code == 405


@pytest.mark.django_db
def test_the_privacy_notice_shows_each_partnerships_retention_periods(client: Client) -> None:
    escalation = raise_for(
        raised_by=PersonFactory(agency=AgencyFactory(name="Retention School")),
        other_agency=AgencyFactory(name="Retention Police", kind="police"),
    )
    RetentionRule.objects.create(
        partnership=escalation.partnership,
        record_type=RetentionRule.RecordType.CLOSED_ESCALATION,
        keep_for_days=7 * 365,
    )

    content = client.get(reverse("privacy_notice")).content.decode()

    row = re.search(
        rf"<th scope=\"row\"[^>]*>{re.escape(escalation.partnership.name)}</th>(.*?)</tr>",
        content,
        re.DOTALL,
    )
    assert row, "the partnership has no row in the retention table"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells == ["2,555 days (7 years) after it ends", "Not set yet: nothing is anonymised"]


@pytest.mark.django_db
@override_settings(
    ESCALATE_SESSION_IDLE_SECONDS=20 * 60, ESCALATE_SESSION_ABSOLUTE_SECONDS=8 * 60 * 60
)
def test_the_accessibility_statement_gives_the_session_limits_in_force(client: Client) -> None:
    content = client.get(reverse("accessibility_statement")).content.decode()

    assert "signed out after 20 minutes without activity, and after 8 hours" in content
    assert "It has not been audited independently yet." in content


# --- Error pages ---------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_practitioner_outside_a_case_gets_the_govuk_page_not_found(
    client: Client, practitioner: Person
) -> None:
    escalation = raise_for(
        raised_by=PersonFactory(agency=AgencyFactory(name="Involved School")),
        other_agency=AgencyFactory(name="Involved Police", kind="police"),
    )
    client.force_login(practitioner.user)

    response = client.get(escalation.get_absolute_url())

    assert response.status_code == 404
    assert heading(response) == "Page not found"
    content = response.content.decode()
    assert not [mark for mark in DEBUG_PAGE_MARKS if mark in content]
    assert escalation.reference not in content
    assert reverse("escalations:mine") in content  # back to their own work
    assert reverse("accessibility_statement") in footer(response)


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_an_unknown_address_signed_out_gets_the_govuk_page_not_found(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert heading(response) == "Page not found"
    assert reverse("login") in response.content.decode()


@pytest.mark.parametrize(
    ("environment", "debug"),
    [(None, False), ("", False), ("0", False), ("1", True), ("true", True)],
    ids=["unset", "empty", "0", "1", "true"],
)
def test_the_demo_settings_keep_debug_off_unless_asked(
    monkeypatch: pytest.MonkeyPatch, environment: str | None, debug: bool
) -> None:
    if environment is None:
        monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    else:
        monkeypatch.setenv("DJANGO_DEBUG", environment)

    local = importlib.reload(importlib.import_module("config.settings.local"))

    assert local.DEBUG is debug
    assert local.ALLOWED_HOSTS == ["127.0.0.1", "localhost"]
    assert local.WHITENOISE_USE_FINDERS is True  # CSS and JavaScript served with DEBUG off


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_refusal_gets_the_govuk_page_and_no_exception_text(
    client: Client, practitioner: Person
) -> None:
    client.force_login(practitioner.user)

    response = client.get("/test-only/refused/")

    assert response.status_code == 403
    assert heading(response) == "You cannot use this page"
    assert "internal reason" not in response.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_failure_gets_the_govuk_problem_with_the_service_page(
    client: Client, practitioner: Person
) -> None:
    client.force_login(practitioner.user)
    client.raise_request_exception = False

    response = client.get("/test-only/broken/")

    assert response.status_code == 500
    assert heading(response) == "Sorry, there is a problem with the service"
    assert "Something went wrong inside" not in response.content.decode()


def test_the_problem_page_renders_with_no_context_and_no_database() -> None:
    """Django renders 500.html with no request and no context processors; without the
    ``django_db`` mark any query here fails the test."""
    content = get_template("500.html").render()

    assert "Sorry, there is a problem with the service" in content
    assert 'href="/static/govuk/govuk-frontend.min.css"' in content
    assert "Sign out" not in content


def test_a_form_refused_for_csrf_gets_a_plain_gov_uk_page(practitioner: Person) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(practitioner.user)

    response = client.post("/sign-out/")  # no token: as from an expired page

    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form could not be sent" in page
    assert "CSRF" not in page

"""Who sees the dashboard, what it links to, and the register's rows behind a figure."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from escalate.board.tests.conftest import BoardWorld
from escalate.escalations.tests.factories import PersonFactory, partnership_person
from escalate.organisations.models import Person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
PERIOD_QUERY = {"from_month": "2026-09", "to_month": "2026-11"}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("escalate.board.views.local_today", lambda: TODAY)
    monkeypatch.setattr("escalate.reporting.views.local_today", lambda: TODAY)


def signed_in(client: Client, person: Person) -> Client:
    client.force_login(person.user)
    return client


def register_links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/register/\?[^"]+)"', html)]


def test_the_business_manager_sees_figures_that_open_the_register(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    response = signed_in(client, manager).get(reverse("board:dashboard"), PERIOD_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Partnership dashboard" in html
    assert board.places.police.name in html
    assert "Alex Invented" not in html and "Pat Invented" not in html
    assert register_links(html)


@pytest.mark.parametrize("role", ["independent_scrutineer", "executive_member"])
def test_the_scrutineer_and_executive_see_figures_without_lists_or_names(
    client: Client, board: BoardWorld, role: str
) -> None:
    reader = partnership_person(role=role, name="Sue Reader")
    html = signed_in(client, reader).get(reverse("board:dashboard"), PERIOD_QUERY).content.decode()
    assert "Breakdowns" in html
    assert register_links(html) == []
    assert board.before.reference not in html  # the oldest open case is a date, not a name
    assert "Alex Invented" not in html


@pytest.mark.parametrize("role", ["independent_scrutineer", "executive_member"])
def test_signing_in_takes_the_scrutineer_to_the_figures_first(
    client: Client, board: BoardWorld, role: str
) -> None:
    reader = partnership_person(role=role)
    response = signed_in(client, reader).get(reverse("start"))
    assert response["Location"] == reverse("board:dashboard")


def test_signing_in_takes_a_practitioner_to_their_escalations(
    client: Client, board: BoardWorld
) -> None:
    response = signed_in(client, board.places.teacher).get(reverse("start"))
    assert response["Location"] == reverse("escalations:mine")


def test_a_practitioner_finds_no_dashboard(client: Client, board: BoardWorld) -> None:
    response = signed_in(client, board.places.teacher).get(reverse("board:dashboard"))
    assert response.status_code == 404


def test_another_partnership_s_business_manager_sees_only_their_own(
    client: Client, board: BoardWorld
) -> None:
    from escalate.escalations.tests.factories import shipped_policy

    other = partnership_person(role="business_manager", policy=shipped_policy("cscp"))
    asked = {"partnership": str(board.places.school.partnership_id), **PERIOD_QUERY}
    html = signed_in(client, other).get(reverse("board:dashboard"), asked).content.decode()
    assert board.places.police.name not in html


def test_every_figure_s_link_lists_as_many_rows_as_it_counts(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    html = signed_in(client, manager).get(reverse("board:dashboard"), PERIOD_QUERY).content.decode()
    counted = re.findall(r'href="(/register/\?[^"]+figure=[^"]+)">(\d+)<', html)
    assert len(counted) > 10
    for link, count in counted:
        rows = client.get(link.replace("&amp;", "&")).content.decode()
        assert rows.count('<tr class="govuk-table__row">') - 1 == int(count), link


def test_a_period_that_ends_before_it_starts_is_an_error_and_the_year_is_shown(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    bad = {"from_month": "2026-11", "to_month": "2026-09"}
    html = signed_in(client, manager).get(reverse("board:dashboard"), bad).content.decode()
    assert "The period must end in or after the month it starts." in html
    assert "from 1 December 2025 to 30 November 2026" in html


def test_a_changed_figure_link_is_an_error_and_the_register_shows_without_it(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    response = signed_in(client, manager).get(
        reverse("reporting:register"), {"status": "all", "figure": "outcome:lost"}
    )
    html = response.content.decode()
    assert "This link to a dashboard figure is out of date or was changed" in html
    assert board.resolved.reference in html and board.before.reference in html


def test_the_register_finds_one_escalation_by_its_reference(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    typed = f"  {board.withdrawn.reference.lower()} "
    html = (
        signed_in(client, manager)
        .get(reverse("reporting:register"), {"status": "all", "reference": typed})
        .content.decode()
    )
    assert board.withdrawn.reference in html
    assert board.resolved.reference not in html


def test_the_navigation_links_the_dashboard_for_those_who_see_it(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    home = signed_in(client, manager).get(reverse("escalations:mine")).content.decode()
    assert f'href="{reverse("board:dashboard")}"' in home
    client.logout()
    worker = PersonFactory(agency=board.places.school)
    home = signed_in(client, worker).get(reverse("escalations:mine")).content.decode()
    assert f'href="{reverse("board:dashboard")}"' not in home


def test_the_dashboard_counts_the_learning_loop_and_links_its_lists(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    html = signed_in(client, manager).get(reverse("board:dashboard"), PERIOD_QUERY).content.decode()
    assert "What the partnership is learning" in html
    for name in ("reporting:practice_issues", "reporting:board_actions", "reporting:good_practice"):
        assert f'href="{reverse(name)}"' in html


def test_each_month_of_the_trend_lists_the_cases_raised_in_it(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    html = signed_in(client, manager).get(reverse("board:dashboard"), PERIOD_QUERY).content.decode()
    months = re.findall(r'href="(/register/\?[^"]+raised_from=2026-11-01[^"]*)">(\d+)<', html)
    assert [count for _, count in months] == ["2"], "November's count links to its cases"
    for link, count in months:
        rows = client.get(link.replace("&amp;", "&")).content.decode()
        assert rows.count('<tr class="govuk-table__row">') - 1 == int(count)


def test_a_partnership_asked_for_that_is_no_number_shows_the_person_s_own(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    response = signed_in(client, manager).get(reverse("board:dashboard"), {"partnership": "²"})

    assert response.status_code == 200

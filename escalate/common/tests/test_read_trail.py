"""The read trail in the browser: opening an escalation is recorded, and the page shows who
has seen it to everyone who may act on it, never to a read-only viewer."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from escalate.audit.models import ReadEvent
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.presenters import SEEN_BY_ON_PAGE
from escalate.escalations.selectors import READ_TRAIL_PAGE_SIZE
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
)
from escalate.organisations.models import Person

pytestmark = pytest.mark.django_db
RAISED_ON = date(2026, 12, 18)
SEEN_BY = "Who has seen this case"


@pytest.fixture
def people(db: None) -> dict[str, Person]:
    school = AgencyFactory(name="Trail Primary School")
    care = AgencyFactory(name="Trail Children's Services", kind="childrens_social_care")
    return {
        "raiser": PersonFactory(agency=school, name="Tess Raiser"),
        "counterpart": PersonFactory(agency=care, name="Kit Counterpart"),
        "raising manager": PersonFactory(
            agency=school, name="Hal Head", ladder_role="safeguarding_lead"
        ),
        "other manager": PersonFactory(agency=care, name="Mo Manager", ladder_role="line_manager"),
        "business manager": partnership_person(role="business_manager", name="Bea Business"),
        "chair": partnership_person(role="chair", name="Cy Chair"),
        "scrutineer": partnership_person(role="independent_scrutineer", name="Sol Scrutineer"),
    }


def _escalation(people: dict[str, Person], *, at_final_stage: bool = False) -> Escalation:
    escalation = raise_for(
        raised_by=people["raiser"],
        other_agency=people["counterpart"].agency,
        counterpart=people["counterpart"],
        today=RAISED_ON,
    )
    # The raising agency's director moves it: each stage belongs to its rung and those above.
    director = PersonFactory(agency=escalation.raising_agency, ladder_role="assistant_director")
    while at_final_stage and not escalation.is_at_final_stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=director, reason="No.", today=RAISED_ON
        )
    return escalation


def _open(person: Person, escalation: Escalation, **extra: str) -> str:
    client = Client()
    assert person.user is not None
    client.force_login(person.user)
    response = client.get(reverse("escalations:detail", kwargs={"pk": escalation.pk}), **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_opening_an_escalation_is_recorded_with_who_when_and_from_where(
    people: dict[str, Person],
) -> None:
    escalation = _escalation(people)

    _open(people["other manager"], escalation, REMOTE_ADDR="10.20.30.40")

    read = ReadEvent.objects.get(escalation=escalation)
    assert read.reader == people["other manager"]
    assert read.what == ReadEvent.What.ESCALATION
    assert read.ip_address == "10.20.30.40"
    assert read.occurred_at is not None


@pytest.mark.parametrize(
    "who",
    ["raiser", "counterpart", "raising manager", "other manager", "business manager", "chair"],
)
def test_everyone_who_may_act_sees_who_has_seen_it(people: dict[str, Person], who: str) -> None:
    escalation = _escalation(people)
    _open(people["other manager"], escalation)
    client = Client()
    client.force_login(people["raiser"].user)
    client.get(reverse("documents:summary_text", kwargs={"pk": escalation.pk}))

    page = _open(people[who], escalation)

    assert SEEN_BY in page
    trail = page[page.index(SEEN_BY) :]
    assert "Mo Manager" in trail and "Trail Children&#x27;s Services" in trail
    assert "Opened the escalation" in trail
    assert "Tess Raiser" in trail and "Downloaded the record (summary.txt)" in trail
    assert people[who].name in trail  # their own visit, just now
    assert "10.20.30.40" not in trail and "127.0.0.1" not in trail  # addresses are never shown


def test_a_read_only_viewer_does_not_see_who_has_seen_it(people: dict[str, Person]) -> None:
    escalation = _escalation(people, at_final_stage=True)
    _open(people["other manager"], escalation)

    page = _open(people["scrutineer"], escalation)

    assert SEEN_BY not in page
    assert "Opened the escalation" not in page
    assert ReadEvent.objects.filter(reader=people["scrutineer"], escalation=escalation).exists()


def test_the_page_shows_the_most_recent_reads_and_links_to_the_rest(
    people: dict[str, Person],
) -> None:
    escalation = _escalation(people)
    reader = people["other manager"]
    ReadEvent.objects.bulk_create(
        ReadEvent(reader=reader, what=ReadEvent.What.ESCALATION, escalation=escalation)
        for _ in range(SEEN_BY_ON_PAGE + 5)
    )

    page = _open(people["raiser"], escalation)

    assert f"Showing the {SEEN_BY_ON_PAGE} most recent." in page
    trail = page[page.index(SEEN_BY) :]
    assert trail.count('<tr class="govuk-table__row">') == SEEN_BY_ON_PAGE + 1  # and the heading
    assert f'href="{_trail_url(escalation)}"' in trail


def _trail_url(escalation: Escalation) -> str:
    return reverse("escalations:read_trail", kwargs={"pk": escalation.pk})


def _get(person: Person, url: str) -> tuple[int, str]:
    client = Client()
    assert person.user is not None
    client.force_login(person.user)
    response = client.get(url)
    return response.status_code, response.content.decode()


def _rows(html: str) -> list[str]:
    body = html[html.index("<tbody") : html.index("</tbody>")]
    return body.split('<tr class="govuk-table__row">')[1:]


def test_the_whole_trail_is_read_page_by_page_newest_first(people: dict[str, Person]) -> None:
    escalation = _escalation(people)
    ReadEvent.objects.all().delete()
    readers = [people["other manager"], people["chair"]]
    ReadEvent.objects.bulk_create(
        ReadEvent(reader=readers[n % 2], what=ReadEvent.What.ESCALATION, escalation=escalation)
        for n in range(READ_TRAIL_PAGE_SIZE + 3)
    )
    newest = ReadEvent.objects.filter(escalation=escalation).order_by("-occurred_at", "-pk")

    status, first = _get(people["raiser"], _trail_url(escalation))

    assert status == 200
    assert len(_rows(first)) == READ_TRAIL_PAGE_SIZE
    assert newest[0].reader.name in _rows(first)[0]
    next_url = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_url is not None and 'rel="prev"' not in first
    status, second = _get(people["raiser"], next_url.group(1).replace("&amp;", "&"))
    assert status == 200
    assert len(_rows(second)) == 3
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert ReadEvent.objects.filter(escalation=escalation).count() == READ_TRAIL_PAGE_SIZE + 3


def test_the_trail_is_refused_to_a_read_only_viewer(people: dict[str, Person]) -> None:
    escalation = _escalation(people, at_final_stage=True)

    status, page = _get(people["scrutineer"], _trail_url(escalation))

    assert status == 403
    assert "business manager and chair, can see who has read it" in page


def test_the_trail_is_not_found_for_someone_who_cannot_see_the_case(
    people: dict[str, Person],
) -> None:
    escalation = _escalation(people)
    outsider = PersonFactory(agency=AgencyFactory(name="Trail Police", kind="police"))

    status, _ = _get(outsider, _trail_url(escalation))

    assert status == 404


@pytest.mark.parametrize("who", ["business manager", "counterpart", "other manager"])
def test_the_trail_is_open_to_those_the_page_shows_it_to(
    people: dict[str, Person], who: str
) -> None:
    escalation = _escalation(people)
    _open(people["raising manager"], escalation)

    status, page = _get(people[who], _trail_url(escalation))

    assert status == 200
    assert "Hal Head" in page


def test_a_spoilt_page_link_shows_the_first_page_and_says_why(people: dict[str, Person]) -> None:
    escalation = _escalation(people)
    _open(people["counterpart"], escalation)

    status, page = _get(people["raiser"], f"{_trail_url(escalation)}?cursor=not-a-cursor")

    assert status == 200
    assert "This page link is out of date or was changed" in page
    assert "Kit Counterpart" in page

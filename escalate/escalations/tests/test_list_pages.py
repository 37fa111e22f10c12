"""Every list pages by keyset: the pages join up with no row lost or repeated, forwards and
back; filters narrow the list; a page link or filter that cannot be used is said on the
page, which still renders."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest
from django.test import Client
from django.urls import reverse

from escalate.escalations import clock, selectors, services
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.involvement import keep_involvement
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import (
    DUE_FIRST,
    NEWEST_FIRST,
    InvalidCursor,
    ListFilters,
    ListStatus,
    Position,
    escalations_listed_for,
    filtered_list,
    keyset_page,
)
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.escalations.tests.test_views import World, build_world, signed_in
from escalate.organisations.models import Person

TODAY = date(2027, 1, 5)


@pytest.fixture
def world(db: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(clock, "local_today", lambda: TODAY)
    return build_world()


def spread(world: World, count: int) -> list[Escalation]:
    """``count`` more open escalations, raised on a few days so due dates and raise dates tie."""
    return [
        raise_for(
            raised_by=world.raiser,
            other_agency=world.social_care,
            today=date(2026, 12, 1) + timedelta(days=index % 4),
        )
        for index in range(count)
    ]


def flat(pages: list[list[str]]) -> list[str]:
    return [reference for page in pages for reference in page]


def every_page(world: World, filters: ListFilters) -> list[list[str]]:
    pages, cursor = [], ""
    while True:
        page = escalations_listed_for(
            world.raiser, filters=filters, today=TODAY, cursor=cursor, size=3
        )
        pages.append([e.reference for e in page.items])
        if not page.next_cursor:
            return pages
        cursor = page.next_cursor


def test_pages_of_open_escalations_join_up_in_due_order(world: World) -> None:
    spread(world, 7)
    everything = list(
        Escalation.objects.filter(status=Escalation.Status.OPEN).order_by("stage_due_on", "pk")
    )

    pages = every_page(world, ListFilters())

    assert [len(page) for page in pages] == [3, 3, 2]
    assert flat(pages) == [e.reference for e in everything]


def test_stages_with_no_due_date_come_last(world: World) -> None:
    spread(world, 2)
    none_due = spread(world, 1)[0]
    Escalation.objects.filter(pk=none_due.pk).update(stage_due_on=None)
    keep_involvement(Escalation.objects.get(pk=none_due.pk))  # as every service ends

    pages = every_page(world, ListFilters())

    assert flat(pages)[-1] == none_due.reference


def test_ended_and_all_lists_are_newest_first(world: World) -> None:
    spread(world, 4)
    services.withdraw_escalation(
        escalation=world.escalation, actor=world.raiser, reason="Sorted.", today=TODAY
    )
    newest_first = list(Escalation.objects.order_by("-raised_on", "-pk"))

    everything = flat(every_page(world, ListFilters(status=ListStatus.ALL)))
    ended = flat(every_page(world, ListFilters(status=ListStatus.CLOSED)))

    assert everything == [e.reference for e in newest_first]
    assert ended == [world.escalation.reference]


def pages_of(person: Person, filters: ListFilters, *, backwards: bool = False) -> list[str]:
    """Every row of ``person``'s list, read page by page forwards (or from the last page
    back), three to a page."""
    cursor, seen = "", []
    while True:
        page = escalations_listed_for(person, filters=filters, today=TODAY, cursor=cursor, size=3)
        seen.append([e.reference for e in page.items])
        cursor = page.next_cursor
        if not cursor:
            break
    if not backwards:
        return flat(seen)
    back = [seen[-1]]
    cursor = page.previous_cursor
    while cursor:
        page = escalations_listed_for(person, filters=filters, today=TODAY, cursor=cursor, size=3)
        back.insert(0, [e.reference for e in page.items])
        cursor = page.previous_cursor
    return flat(back)


def in_list_order(person: Person, filters: ListFilters) -> list[str]:
    """The list as the whole visible set sorted: what the pages read from the involvement
    rows must give, row for row."""
    order = selectors.list_order(filters.status)
    rows = filtered_list(escalations_visible_to(person), filters, today=TODAY)
    key = order.key
    sort = (f"-{key}", "-pk") if order.descending else (key, "pk")
    return list(rows.order_by(*sort).values_list("reference", flat=True))


def test_lists_read_from_involvement_rows_match_the_whole_set_sorted(world: World) -> None:
    """A practitioner's list comes from their own rows, a safeguarding lead's from their
    own and their agency's (which overlap); each filter, each sort, forwards and back."""
    lead = PersonFactory(agency=world.school, name="Dee Lead", ladder_role="safeguarding_lead")
    spread(world, 5)
    named = raise_for(raised_by=lead, other_agency=world.police, today=date(2026, 12, 2))
    services.escalate_stage(escalation=named, actor=lead, reason="No reply.", today=TODAY)
    for escalation in spread(world, 3)[:2]:
        services.withdraw_escalation(
            escalation=escalation, actor=world.raiser, reason="Sorted.", today=TODAY
        )
    raise_for(raised_by=world.counterpart, other_agency=world.police, today=TODAY)  # not theirs

    for person in (world.raiser, lead):
        for filters in (
            ListFilters(),
            ListFilters(status=ListStatus.CLOSED),
            ListFilters(status=ListStatus.ALL),
            ListFilters(overdue_only=True),
            ListFilters(stage_number=2),
            ListFilters(agency_id=world.police.pk, status=ListStatus.ALL),
        ):
            expected = in_list_order(person, filters)
            assert pages_of(person, filters) == expected, (person.name, filters)
            assert pages_of(person, filters, backwards=True) == expected, (person.name, filters)
    assert len(in_list_order(lead, ListFilters(status=ListStatus.ALL))) == 10
    assert len(in_list_order(world.raiser, ListFilters(status=ListStatus.ALL))) == 9


def test_previous_goes_back_to_the_same_rows(world: World) -> None:
    spread(world, 7)
    first = escalations_listed_for(world.raiser, filters=ListFilters(), today=TODAY, size=3)
    second = escalations_listed_for(
        world.raiser, filters=ListFilters(), today=TODAY, cursor=first.next_cursor, size=3
    )

    back = escalations_listed_for(
        world.raiser, filters=ListFilters(), today=TODAY, cursor=second.previous_cursor, size=3
    )

    assert [e.pk for e in back.items] == [e.pk for e in first.items]
    assert back.previous_cursor == "" and back.next_cursor
    assert first.previous_cursor == ""


@pytest.mark.parametrize(
    "cursor",
    ["%%%", "bm90IGpzb24", Position("raised", TODAY, UUID(int=1)).encode()],
    ids=["not-base64", "not-json", "another-sort"],
)
def test_a_cursor_it_did_not_make_for_this_sort_is_refused(world: World, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        keyset_page(Escalation.objects.all(), DUE_FIRST, cursor, size=3)


def test_filters_narrow_by_stage_agency_category_and_overdue(world: World) -> None:
    police = AgencyFactory(
        partnership=world.school.partnership, name="Invented Constabulary", kind="police"
    )
    with_police = raise_for(raised_by=world.raiser, other_agency=police, today=TODAY)
    sharing = raise_for(
        raised_by=world.raiser,
        other_agency=world.social_care,
        today=TODAY,
        category="information_sharing",
    )
    stage2 = services.escalate_stage(
        escalation=raise_for(raised_by=world.raiser, other_agency=world.social_care, today=TODAY),
        actor=world.raiser,
        reason="No reply.",
        today=TODAY,
    )

    def references(**filters: object) -> set[str]:
        visible = escalations_visible_to(world.raiser)
        found = filtered_list(visible, ListFilters(**filters), today=TODAY)
        return set(found.values_list("reference", flat=True))

    assert references(agency_id=police.pk) == {with_police.reference}
    assert references(category="information_sharing") == {sharing.reference}
    assert references(stage_number=2) == {stage2.reference}
    assert references(overdue_only=True) == {world.escalation.reference}  # due Mon 21 Dec


def test_the_due_key_is_the_indexed_expression() -> None:
    """The sort's key and the index are the same SQL, or the index cannot serve the sort."""
    [index] = [i for i in Escalation._meta.indexes if i.name == "escalation_open_due"]
    indexed = index.expressions[1]
    assert indexed.template == selectors.due_key().template
    assert [str(e) for e in indexed.source_expressions] == [
        str(e) for e in selectors.due_key().source_expressions
    ]


# --- The page ---------------------------------------------------------------------------


def test_the_list_pages_with_previous_and_next_links(client: Client, world: World) -> None:
    spread(world, 30)
    signed_in(client, world.raiser)

    first = client.get(reverse("escalations:mine")).content.decode()

    assert first.count('<tr class="govuk-table__row">') == 26  # 25 and the heading
    assert 'class="govuk-pagination' in first and 'rel="next"' in first
    assert 'rel="prev"' not in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&")).content.decode()
    assert second.count('<tr class="govuk-table__row">') == 7
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_a_broken_page_link_is_said_and_the_first_page_shown(client: Client, world: World) -> None:
    response = signed_in(client, world.raiser).get(reverse("escalations:mine"), {"cursor": "xyz"})

    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "This page link is out of date or was changed" in text
    assert world.escalation.reference in text


def test_a_filter_it_cannot_use_is_said_and_the_list_still_renders(
    client: Client, world: World
) -> None:
    response = signed_in(client, world.raiser).get(
        reverse("escalations:mine"), {"stage": "9", "status": "sideways"}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "Choose a stage from the list." in text
    assert "Choose open, resolved, withdrawn or closed, or all." in text
    assert world.escalation.reference in text


def test_an_agency_outside_the_partnership_is_not_a_choice(client: Client, world: World) -> None:
    elsewhere = AgencyFactory(
        partnership=shipped_policy("cscp").partnership, name="Elsewhere (invented)"
    )
    PersonFactory(agency=elsewhere)

    text = (
        signed_in(client, world.raiser)
        .get(reverse("escalations:mine"), {"agency": elsewhere.pk})
        .content.decode()
    )

    assert "Choose an agency from the list." in text


def test_newest_first_sort_is_by_raise_date() -> None:
    assert NEWEST_FIRST.key == "raised_on" and NEWEST_FIRST.descending
    assert DUE_FIRST.key == "due_key" and not DUE_FIRST.descending

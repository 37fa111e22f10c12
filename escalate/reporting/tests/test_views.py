from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from escalate.audit.models import ReadEvent
from escalate.common.text import LONG_TEXT_MAX_LENGTH
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    shipped_policy,
)
from escalate.organisations.models import PartnershipRoleAssignment, Person
from escalate.reporting import selectors, views
from escalate.reporting.forms import BoardActionDoneForm, BoardActionForm
from escalate.reporting.models import PracticeIssue
from escalate.reporting.services import record_practice_issue
from escalate.reporting.tests.conftest import TODAY, Partnerships, escalate_to, raise_between

REGISTER_URLS = ["reporting:register", "reporting:register_csv", "reporting:practice_issues"]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("escalate.reporting.views.local_today", lambda: TODAY)


def signed_in(client: Client, person) -> Client:
    client.force_login(person.user)
    return client


# Who reaches the register ------------------------------------------------------------


@pytest.mark.parametrize("name", REGISTER_URLS)
def test_business_manager_reaches_the_register(client: Client, world: Partnerships, name: str):
    assert signed_in(client, world.manager).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", REGISTER_URLS)
@pytest.mark.parametrize(
    "who", ["practitioner", "head_of_service", "independent_scrutineer", "administrator"]
)
def test_everyone_else_gets_404(client: Client, world: Partnerships, name: str, who: str):
    person: Person
    if who in {"practitioner", "head_of_service"}:
        person = PersonFactory(agency=world.school, ladder_role=who)
    else:
        person = partnership_person(role=who)
    raise_between(world.school, world.social_care, on=date(2026, 11, 2))

    assert signed_in(client, person).get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", REGISTER_URLS)
def test_signed_out_visitor_is_sent_to_sign_in(client: Client, world: Partnerships, name: str):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# The register page -------------------------------------------------------------------


def test_register_lists_open_escalations_without_names_or_narrative(
    client: Client, world: Partnerships
) -> None:
    ours = raise_between(world.school, world.social_care, on=date(2026, 11, 2))
    theirs = raise_between(world.cscp_school, world.cscp_health, on=date(2026, 11, 2))

    response = signed_in(client, world.manager).get(reverse("reporting:register"))

    text = response.content.decode()
    assert ours.reference in text
    assert theirs.reference not in text
    assert "Northfield Primary (invented)" in text
    assert "Alex Invented" not in text
    assert "CASE-0001" not in text
    assert "Referral judged below threshold." not in text
    assert "Three missed appointments" not in text
    assert 'govuk-tag--red">Overdue' in text
    assert "no-store" in response["Cache-Control"]
    assert ">Partnership</th>" not in text  # one partnership: no column for it


def test_manager_of_two_partnerships_sees_a_partnership_column(
    client: Client, world: Partnerships
) -> None:
    PartnershipRoleAssignment.objects.create(
        person=world.manager, partnership=world.cscp_school.partnership, role="chair"
    )
    theirs = raise_between(world.cscp_school, world.cscp_health, on=date(2026, 11, 2))

    text = signed_in(client, world.manager).get(reverse("reporting:register")).content.decode()

    assert ">Partnership</th>" in text
    assert theirs.reference in text


def test_register_shows_stages_without_a_timescale_as_soon_as_possible(
    client: Client, world: Partnerships
) -> None:
    cscp_manager = partnership_person(role="business_manager", policy=shipped_policy("cscp"))
    theirs = raise_between(world.cscp_school, world.cscp_health, on=date(2026, 11, 2))

    text = signed_in(client, cscp_manager).get(reverse("reporting:register")).content.decode()

    assert theirs.reference in text
    assert "As soon as possible" in text
    assert "No fixed timescale" in text
    assert "Northfield Primary (invented)" not in text


def test_register_says_whose_move_it_is(client: Client, world: Partnerships) -> None:
    """Before the final stage the parties' people move it; at NEL's final stage the chair
    (or a panel) decides, so the chair reads "Waiting on you" and the business manager
    reads whom it waits on."""
    early = raise_between(world.school, world.social_care, on=date(2026, 11, 2))
    final = escalate_to(
        raise_between(world.school, world.police, on=date(2026, 11, 2)), 5, on=date(2026, 11, 2)
    )
    chair = partnership_person(role="chair", name="Cal Chair")

    def rows_for(person: Person) -> dict[str, str]:
        text = signed_in(Client(), person).get(reverse("reporting:register")).content.decode()
        return {
            ref: text[text.index(ref) :].split("</tr>")[0]
            for ref in (early.reference, final.reference)
        }

    as_manager, as_chair = rows_for(world.manager), rows_for(chair)

    assert (
        "Waiting on Northfield Primary (invented) and Children&#x27;s Services (invented)"
        in as_manager[early.reference]
    )
    assert "Waiting on the chair or the panel" in as_manager[final.reference]
    assert 'govuk-tag--pink">Waiting on you' in as_chair[final.reference]


def test_register_filters_by_query_string(client: Client, world: Partnerships) -> None:
    with_police = raise_between(world.school, world.police, on=date(2026, 11, 2))
    other = raise_between(world.school, world.social_care, on=TODAY)

    response = signed_in(client, world.manager).get(
        reverse("reporting:register"), {"agency": world.police.pk, "overdue_only": "on"}
    )

    text = response.content.decode()
    assert with_police.reference in text
    assert other.reference not in text


def test_register_explains_filters_it_cannot_use(client: Client, world: Partnerships) -> None:
    response = signed_in(client, world.manager).get(
        reverse("reporting:register"), {"raised_from": "2026-11-20", "raised_to": "2026-11-02"}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "The end date must be the same as or after the start date." in text


def test_agency_from_another_partnership_is_not_a_filter_choice(
    client: Client, world: Partnerships
) -> None:
    response = signed_in(client, world.manager).get(
        reverse("reporting:register"), {"agency": world.cscp_health.pk}
    )

    assert "Choose an agency from the list." in response.content.decode()


# CSV ---------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_csv_export_is_a_utf8_attachment_with_the_register(
    client: Client, world: Partnerships
) -> None:
    escalation = raise_between(world.school, world.social_care, on=date(2026, 11, 2))

    response = signed_in(client, world.manager).get(reverse("reporting:register_csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="escalation-register-2026-11-23.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    header, row = read_csv(response)
    assert header[0] == "Reference"
    record = dict(zip(header, row, strict=True))
    assert record["Reference"] == escalation.reference
    assert record["Stage"] == "1"
    assert record["Raised on"] == "2026-11-02"
    assert record["Stage due on"] == "2026-11-03"
    assert record["Working days open"] == "15"
    assert record["Overdue"] == "Yes"
    assert record["Whose move"] == (
        "Waiting on the agencies at this stage"  # the export names who acts, from the stored state
    )
    assert "Alex Invented" not in "".join(header + row)


def test_csv_quotes_cells_a_spreadsheet_would_run_as_formulas(
    client: Client, world: Partnerships
) -> None:
    partnership = world.school.partnership
    formula = AgencyFactory(partnership=partnership, name='=HYPERLINK("http://example.invalid")')
    plus = AgencyFactory(partnership=partnership, name="+Café Sûr (invented)")
    raise_between(formula, plus, on=date(2026, 11, 2))

    response = signed_in(client, world.manager).get(reverse("reporting:register_csv"))

    header, row = read_csv(response)
    record = dict(zip(header, row, strict=True))
    assert record["Raising agency"] == '\'=HYPERLINK("http://example.invalid")'
    assert record["Other agency"] == "'+Café Sûr (invented)"


def test_csv_applies_the_same_filters(client: Client, world: Partnerships) -> None:
    stage3 = escalate_to(
        raise_between(world.school, world.police, on=date(2026, 11, 2)), 3, on=TODAY
    )
    raise_between(world.school, world.social_care, on=date(2026, 11, 2))

    response = signed_in(client, world.manager).get(
        reverse("reporting:register_csv"), {"stage": "3"}
    )

    rows = read_csv(response)[1:]
    assert [row[0] for row in rows] == [stage3.reference]


def test_csv_refuses_filters_it_cannot_use(client: Client, world: Partnerships) -> None:
    response = signed_in(client, world.manager).get(
        reverse("reporting:register_csv"), {"raised_from": "not a date"}
    )

    assert response.status_code == 400
    assert "Raised from must be a real date" in response.content.decode()


# Practice issues ---------------------------------------------------------------------


@pytest.fixture
def at_stage_3(world: Partnerships):
    return escalate_to(
        raise_between(world.school, world.social_care, on=date(2026, 11, 2)), 3, on=TODAY
    )


def lead_of(escalation: Escalation) -> Person:
    """The lead (raising) agency's director, who reports the issues at every stage."""
    return PersonFactory(agency=escalation.raising_agency, ladder_role="assistant_director")


def test_practice_issues_log_lists_the_overseen_partnerships_issues(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    record_practice_issue(
        escalation=at_stage_3,
        actor=lead_of(at_stage_3),
        issue="Threshold guidance is silent on missed health appointments.",
        is_resolved=False,
    )
    theirs = escalate_to(
        raise_between(world.cscp_school, world.cscp_health, on=date(2026, 11, 2)), 3, on=TODAY
    )
    record_practice_issue(
        escalation=theirs, actor=lead_of(theirs), issue="Not for NEL eyes.", is_resolved=False
    )

    text = signed_in(client, world.manager).get(reverse("reporting:practice_issues")).content
    assert b"Threshold guidance is silent on missed health appointments." in text
    assert b"Not for NEL eyes." not in text


def test_practice_issues_log_filters_resolved_and_latest(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    lead = lead_of(at_stage_3)
    for text, resolved in [("First word.", False), ("Second word.", False), ("Fixed.", True)]:
        record_practice_issue(escalation=at_stage_3, actor=lead, issue=text, is_resolved=resolved)
    signed_in(client, world.manager)
    url = reverse("reporting:practice_issues")

    open_only = client.get(url, {"status": "open"}).content.decode()
    latest = client.get(url, {"show": "latest"}).content.decode()

    assert "First word." in open_only and "Second word." in open_only
    assert "Fixed." not in open_only
    assert "Fixed." in latest
    assert "First word." not in latest and "Second word." not in latest


def test_practice_issues_log_pages_newest_first_forwards_and_back(
    client: Client, world: Partnerships, at_stage_3, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = lead_of(at_stage_3)
    for number in range(5):
        record_practice_issue(
            escalation=at_stage_3, actor=lead, issue=f"Update {number}.", is_resolved=False
        )
    monkeypatch.setattr(  # two a page, so five updates make three pages
        views,
        "practice_issue_page",
        lambda person, **kwargs: selectors.practice_issue_page(person, size=2, **kwargs),
    )
    signed_in(client, world.manager)

    def updates(html: str) -> list[str]:
        return [f"Update {n}." for n in range(5) if f"Update {n}." in html]

    def link(html: str, rel: str) -> str:
        return (
            html.split(f'rel="{rel}"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
        )

    seen: list[str] = []
    page = client.get(reverse("reporting:practice_issues")).content.decode()
    pages = [page]
    while 'rel="next"' in page:
        page = client.get(link(page, "next")).content.decode()
        pages.append(page)
    for html in pages:
        seen += sorted(updates(html), reverse=True)
    back = client.get(link(pages[-1], "prev")).content.decode()
    refused = client.get(reverse("reporting:practice_issues"), {"cursor": "%%%"})

    assert seen == [f"Update {n}." for n in (4, 3, 2, 1, 0)]
    assert [len(updates(html)) for html in pages] == [2, 2, 1]
    assert updates(back) == updates(pages[-2])
    assert (
        refused.status_code == 200 and "This page link is out of date" in refused.content.decode()
    )


def test_practice_issues_log_query_count_does_not_grow_with_rows(
    client: Client, world: Partnerships, django_assert_num_queries
) -> None:
    signed_in(client, world.manager).get(reverse("reporting:practice_issues"))
    escalations = [
        escalate_to(raise_between(world.school, other, on=date(2026, 11, 2)), 3, on=TODAY)
        for other in (world.social_care, world.police)
    ]
    record_practice_issue(
        escalation=escalations[0], actor=world.manager, issue="One.", is_resolved=False
    )
    with django_assert_num_queries(PRACTICE_ISSUES_PAGE_QUERIES):
        client.get(reverse("reporting:practice_issues"))
    for escalation in escalations * 3:
        record_practice_issue(
            escalation=escalation, actor=world.manager, issue="More.", is_resolved=False
        )
    with django_assert_num_queries(PRACTICE_ISSUES_PAGE_QUERIES):
        response = client.get(reverse("reporting:practice_issues"))
    assert response.content.decode().count("More.") == 6


# The request path (session, user, the person with their roles: 3; a session in use is
# not saved again within a minute); current procedures (1); whether the overseer is
# involved elsewhere, which the visibility filter asks (1); the issues (1); the filter's
# agency choices (1).
PRACTICE_ISSUES_PAGE_QUERIES = 7


def test_the_lead_agency_records_a_practice_issue_at_stage_3(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    url = reverse("reporting:practice_issue_new", kwargs={"pk": at_stage_3.pk})
    signed_in(client, lead_of(at_stage_3))
    assert url in client.get(at_stage_3.get_absolute_url()).content.decode()  # linked from it

    assert client.get(url).status_code == 200
    response = client.post(url, {"issue": "Gap in the threshold guidance.", "is_resolved": "no"})

    assert response.status_code == 302
    assert response["Location"] == at_stage_3.get_absolute_url()
    issue = PracticeIssue.objects.get()
    assert (issue.issue, issue.is_resolved, issue.stage_number) == (
        "Gap in the threshold guidance.",
        False,
        3,
    )


def test_practice_issue_form_shows_earlier_updates(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    record_practice_issue(
        escalation=at_stage_3, actor=lead_of(at_stage_3), issue="Earlier word.", is_resolved=False
    )
    url = reverse("reporting:practice_issue_new", kwargs={"pk": at_stage_3.pk})

    text = signed_in(client, world.manager).get(url).content.decode()

    assert "Earlier updates" in text
    assert "Earlier word." in text


def test_practice_issue_form_needs_an_issue_and_an_answer(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    url = reverse("reporting:practice_issue_new", kwargs={"pk": at_stage_3.pk})

    response = signed_in(client, lead_of(at_stage_3)).post(url, {"issue": ""})

    text = response.content.decode()
    assert response.status_code == 200
    assert "Describe the policy or practice issue." in text
    assert "Say whether the issue has been resolved." in text
    assert not PracticeIssue.objects.exists()


def test_practice_issue_form_takes_as_long_an_answer_as_the_api(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    # Found by the Hypothesis fuzz: the form stopped at 5,000 characters while the API and
    # the service take the 20,000 every narrative answer may have (common.text), so the
    # same words were refused in the browser and accepted through the API.
    url = reverse("reporting:practice_issue_new", kwargs={"pk": at_stage_3.pk})
    signed_in(client, lead_of(at_stage_3))

    too_long = client.post(url, {"issue": "a" * (LONG_TEXT_MAX_LENGTH + 1), "is_resolved": "no"})
    longest = client.post(url, {"issue": "a" * LONG_TEXT_MAX_LENGTH, "is_resolved": "no"})

    assert too_long.status_code == 200
    assert "must be 20,000 characters or fewer" in too_long.content.decode()
    assert longest.status_code == 302
    assert len(PracticeIssue.objects.get().issue) == LONG_TEXT_MAX_LENGTH


def test_practice_issue_form_counts_the_length_as_typed_as_the_api_does(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    # Also found by the fuzz: the form trimmed before counting, so 20,000 characters and a
    # trailing space passed the form and not the API (decision 23 counts as sent).
    url = reverse("reporting:practice_issue_new", kwargs={"pk": at_stage_3.pk})
    signed_in(client, lead_of(at_stage_3))

    padded = client.post(url, {"issue": "a" * LONG_TEXT_MAX_LENGTH + " ", "is_resolved": "no"})
    trimmed = client.post(url, {"issue": " Gap in the guidance. ", "is_resolved": "no"})

    assert padded.status_code == 200
    assert "must be 20,000 characters or fewer" in padded.content.decode()
    assert trimmed.status_code == 302
    assert PracticeIssue.objects.get().issue == "Gap in the guidance."


def test_board_action_forms_take_as_long_an_answer_as_the_api() -> None:
    description = BoardActionForm(owners=Person.objects.none()).fields["description"]
    assert description.max_length == LONG_TEXT_MAX_LENGTH  # type: ignore[attr-defined]
    assert BoardActionDoneForm().fields["note"].max_length == LONG_TEXT_MAX_LENGTH  # type: ignore[attr-defined]


def test_practice_issue_before_stage_3_is_refused(client: Client, world: Partnerships) -> None:
    escalation = raise_between(world.school, world.social_care, on=date(2026, 11, 2))
    url = reverse("reporting:practice_issue_new", kwargs={"pk": escalation.pk})
    signed_in(client, lead_of(escalation))

    page = client.get(url)
    response = client.post(url, {"issue": "Gap.", "is_resolved": "no"})

    assert page.status_code == 403
    assert "recorded from stage 3" in page.content.decode()
    assert response.status_code == 403
    assert url not in client.get(escalation.get_absolute_url()).content.decode()
    assert not PracticeIssue.objects.exists()


def test_a_practitioner_of_the_lead_agency_is_told_the_stage_belongs_to_seniors(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    url = reverse("reporting:practice_issue_new", kwargs={"pk": at_stage_3.pk})
    signed_in(client, at_stage_3.raised_by)

    response = client.post(url, {"issue": "Gap.", "is_resolved": "no"})

    assert response.status_code == 403
    assert "belongs to the heads of service" in response.content.decode()
    assert not PracticeIssue.objects.exists()


def test_unrelated_agency_gets_404_on_the_practice_issue_form(
    client: Client, world: Partnerships, at_stage_3
) -> None:
    outsider = PersonFactory(agency=AgencyFactory(name="Unrelated Trust (invented)"))
    url = reverse("reporting:practice_issue_new", kwargs={"pk": at_stage_3.pk})
    signed_in(client, outsider)

    assert client.get(url).status_code == 404
    assert client.post(url, {"issue": "Gap.", "is_resolved": "no"}).status_code == 404


def test_scrutineer_who_may_only_view_gets_403(client: Client, world: Partnerships) -> None:
    final = escalate_to(
        raise_between(world.school, world.social_care, on=date(2026, 11, 2)), 5, on=TODAY
    )
    scrutineer = partnership_person(role="independent_scrutineer")
    url = reverse("reporting:practice_issue_new", kwargs={"pk": final.pk})

    response = signed_in(client, scrutineer).post(url, {"issue": "Gap.", "is_resolved": "no"})

    assert response.status_code == 403
    assert not PracticeIssue.objects.exists()


# Pages, status and the stream ----------------------------------------------------------


def test_register_pages_twenty_five_at_a_time(client: Client, world: Partnerships) -> None:
    for index in range(28):
        raise_between(world.school, world.police, on=date(2026, 11, 2 + index % 10))
    signed_in(client, world.manager)

    first = client.get(reverse("reporting:register")).content.decode()

    assert first.count('<tr class="govuk-table__row">') == 26  # 25 and the heading
    assert "Open escalations, nearest due date first" in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&")).content.decode()
    assert second.count('<tr class="govuk-table__row">') == 4
    assert 'rel="prev"' in second


def test_register_shows_ended_escalations_when_asked(client: Client, world: Partnerships) -> None:
    ended = raise_between(world.school, world.police, on=date(2026, 11, 2))
    services.withdraw_escalation(
        escalation=ended, actor=ended.raised_by, reason="Sorted.", today=TODAY
    )
    open_one = raise_between(world.school, world.police, on=date(2026, 11, 2))
    signed_in(client, world.manager)

    default = client.get(reverse("reporting:register")).content.decode()
    closed = client.get(reverse("reporting:register"), {"status": "closed"}).content.decode()
    csv_closed = read_csv(client.get(reverse("reporting:register_csv"), {"status": "closed"}))

    assert open_one.reference in default and ended.reference not in default
    assert ended.reference in closed and open_one.reference not in closed
    assert "Withdrawn" in closed
    assert [row[0] for row in csv_closed[1:]] == [ended.reference]
    assert csv_closed[1][4] == "Withdrawn"


def test_register_says_a_broken_page_link_and_shows_the_first_page(
    client: Client, world: Partnerships
) -> None:
    escalation = raise_between(world.school, world.police, on=date(2026, 11, 2))

    response = signed_in(client, world.manager).get(reverse("reporting:register"), {"cursor": "!"})

    text = response.content.decode()
    assert response.status_code == 200
    assert "This page link is out of date or was changed" in text
    assert escalation.reference in text


def test_the_export_streams_every_row_and_records_its_filters(
    client: Client, world: Partnerships
) -> None:
    for index in range(5):
        raise_between(world.school, world.police, on=date(2026, 11, 2 + index))
    raise_between(world.school, world.social_care, on=TODAY)

    response = signed_in(client, world.manager).get(
        reverse("reporting:register_csv"), {"agency": world.police.pk, "overdue_only": "on"}
    )

    assert response.streaming
    assert response["X-Row-Count"] == "5"  # announced first, for the progress bar's end
    rows = read_csv(response)[1:]
    assert len(rows) == 5 and {row[6] for row in rows} == {"Police PVPU (invented)"}
    assert [row[8] for row in rows] == sorted(row[8] for row in rows)  # raised, due in order
    read = ReadEvent.objects.get(what=ReadEvent.What.EXPORT)
    assert read.detail == f"register.csv (agency={world.police.pk} overdue_only=on status=open)"

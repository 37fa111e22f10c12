"""The NEL journey in a real browser, without JavaScript doing any of the work, and axe on
every distinct page: raise with triage, record a contact, escalate; the practitioner is
refused stage 2, which belongs to the line managers; one agency's line manager proposes a
resolution, the other's confirms it and checks back the agreed action, each agency ticks
its own checklist item, the raiser closes; and an immediate-risk raise that shows the front
door at once.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.audit.models import ReadEvent
from escalate.calendars import working_calendar
from escalate.domain.policy import Nation
from escalate.escalations import clock
from escalate.escalations.presenters import long_date
from escalate.escalations.selectors import READ_TRAIL_PAGE_SIZE
from escalate.escalations.tests.factories import (
    DEMO_PASSWORD,
    AgencyFactory,
    PersonFactory,
    raise_for,
)
from escalate.organisations.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Journey:
    """One browser tab, signing people in and out and checking each new page with axe."""

    def __init__(self, page: Any, live_server: Any, axe: Any) -> None:
        self.page, self.base, self.axe = page, live_server.url, axe
        self.checked: set[str] = set()

    def check(self, name: str) -> None:
        """Run axe once per distinct page; a page must never break the CSP or lose its styles."""
        if name in self.checked:
            return
        self.checked.add(name)
        # A click may still be navigating: scan the page that arrived, not the one leaving.
        self.page.wait_for_load_state("load")
        expect(self.page.locator("main h1")).to_be_visible()
        results = self.axe.run(self.page)
        assert results.violations_count == 0, f"{name}: {results.generate_report()}"

    def sign_in(self, person: Person) -> None:
        self.page.goto(f"{self.base}/sign-in/")
        self.check("sign in")
        self.page.get_by_label("Email address").fill(person.email)
        self.page.get_by_label("Password").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.see_heading("Your escalations")
        self.check("your escalations")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.see_heading("Sign in")

    def see_heading(self, text: str) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(text)

    def see(self, text: str) -> None:
        """Waits for the page to show ``text`` in its main content."""
        expect(self.page.locator("main")).to_contain_text(text)

    def fill_date(self, field_id: str, day: Any) -> None:
        self.page.locator(f"#{field_id}-day").fill(str(day.day))
        self.page.locator(f"#{field_id}-month").fill(str(day.month))
        self.page.locator(f"#{field_id}-year").fill(str(day.year))


@pytest.fixture
def nel(db: None) -> dict[str, Person]:
    school = AgencyFactory(name="Invented Primary School", kind="education")
    social_care = AgencyFactory(name="Invented Children's Services", kind="childrens_social_care")
    return {
        "raiser": PersonFactory(agency=school, name="Sam Raiser", job_title="Class teacher"),
        "counterpart": PersonFactory(
            agency=social_care, name="Kim Other", job_title="Social worker"
        ),
        "manager": PersonFactory(
            agency=social_care,
            name="Lee Manager",
            job_title="Team manager",
            ladder_role="line_manager",
        ),
        "school_manager": PersonFactory(
            agency=school,
            name="Jo Deputy",
            job_title="Designated safeguarding lead",
            ladder_role="line_manager",
        ),
    }


def test_the_whole_nel_journey(page: Any, live_server: Any, axe: Any, nel: dict[str, Person]):
    journey = Journey(page, live_server, axe)
    today = clock.local_today()
    calendar = working_calendar(Nation.ENGLAND_AND_WALES)

    # A practitioner raises, after triage.
    journey.sign_in(nel["raiser"])
    page.get_by_role("button", name="Raise an escalation").click()
    journey.check("triage")
    page.get_by_label("A child", exact=True).check()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    journey.see_heading("What do you need to do?")
    journey.check("route")
    page.get_by_label("Challenge another agency's decision, action or inaction").check()
    page.get_by_role("button", name="Continue").click()
    journey.see_heading("Tell us about the disagreement")
    journey.check("details")
    page.get_by_label("The child's full name").fill("Robin Invented")
    journey.fill_date("id_date_of_birth", today.replace(year=today.year - 9, day=1))
    page.locator("#id_nhs_number").fill("943 476 5918")
    page.locator("#id_other_agency").select_option(label="Invented Children's Services")
    page.locator("#id_counterpart").select_option(label="Kim Other, Social worker")
    page.get_by_label("Referral and thresholds").check()
    page.locator("#id_decision_disputed").fill("The referral was judged below threshold.")
    page.locator("#id_evidence").fill("Three missed health appointments.")
    page.locator("#id_desired_outcome").fill("A strategy discussion this week.")
    page.get_by_role("button", name="Raise escalation").click()

    # A mistyped NHS number is caught, linked from the summary, and nothing typed is lost.
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.get_by_role("link", name="Enter a valid NHS number").click()
    assert page.evaluate("document.activeElement.id") == "id_nhs_number"
    assert page.locator("#id_desired_outcome").input_value() == "A strategy discussion this week."
    journey.check("details with errors")
    page.locator("#id_nhs_number").fill("943 476 5919")
    page.get_by_role("button", name="Raise escalation").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("raised")
    stage_1_due = calendar.working_day_of_procedure(today, 2)
    journey.see(long_date(stage_1_due))
    journey.see("By working day 2 of the procedure")
    journey.check("escalation")

    # A contact is recorded, then the disagreement goes to stage 2.
    page.get_by_role("button", name="Record a contact").click()
    journey.check("record a contact")
    page.get_by_label("Telephone").check()
    page.locator("#id_between").fill("Sam Raiser (school) and Kim Other (children's services)")
    page.locator("#id_summary").fill("Talked through the missed appointments.")
    page.locator("#id_outcome").fill("No agreement; Sam will escalate.")
    journey.fill_date("id_happened_on", today)
    page.get_by_role("button", name="Save contact").click()
    journey.see("Contact recorded")

    page.get_by_role("button", name="Escalate to the next stage").click()
    journey.check("escalate")
    page.locator("#id_reason").fill("Practitioners could not agree.")
    page.get_by_role("button", name="Escalate", exact=True).click()
    journey.see("Stage 2: Escalate to organisation safeguarding representative")
    stage_2_due = calendar.working_day_of_procedure(today, 8)
    journey.see(long_date(stage_2_due))
    journey.see("Lee Manager")  # named on the ladder as who must act
    journey.see("Jo Deputy")
    escalation_url = page.url

    # Stage 2 belongs to the line managers: the raiser is offered no way to move it, and
    # the page itself refuses with the procedure's reason.
    expect(page.get_by_role("button", name="Escalate to the next stage")).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    page.goto(f"{escalation_url}escalate/")
    journey.see_heading("You cannot do this")
    journey.see("Stage 2 belongs to the line managers of each agency, or someone more senior")
    journey.check("refused")
    journey.sign_out()

    # Children's services' line manager proposes a resolution with an agreed action.
    journey.sign_in(nel["manager"])
    page.get_by_role("link", name="NEL-").click()
    page.get_by_role("button", name="Resolve").click()
    journey.check("resolve")
    page.locator("#id_agreed_outcome").fill("A strategy discussion will be held this week.")
    page.locator("#id_actions-0-description").fill("Hold the strategy discussion.")
    page.locator("#id_actions-0-owner").select_option(label="Lee Manager, Team manager")
    journey.fill_date("id_actions-0-due_on", calendar.add_working_days(today, 3))
    page.get_by_role("button", name="Record the resolution").click()
    journey.see("Resolution proposed: the other agencies confirm it next")
    journey.see(
        "Resolution proposed by Lee Manager (Invented Children's Services), "
        "waiting for confirmation from Invented Primary School."
    )
    journey.check("proposed")
    journey.sign_out()

    # The school's line manager reads the proposal and confirms it: the stage ends.
    journey.sign_in(nel["school_manager"])
    journey.see("Waiting on you")
    page.get_by_role("link", name="NEL-").click()
    page.get_by_role("button", name="Confirm the resolution").click()
    journey.check("confirm resolution")
    journey.see("Hold the strategy discussion.")
    page.get_by_role("button", name="Confirm the resolution").click()
    journey.see("Resolution confirmed: escalation resolved")

    # The raising side confirms the shared understanding and checks the action back.
    page.get_by_role("link", name="Confirm shared understanding").click()
    journey.check("confirm")
    page.get_by_role("button", name="Confirm shared understanding").click()
    page.get_by_role("link", name="Check back").click()
    journey.check("check back")
    page.get_by_label("Yes, it was done").check()
    page.locator("#id_note").fill("Held on time.")
    page.get_by_role("button", name="Save check-back").click()
    journey.see("Agreed action checked back")
    journey.see("Escalate recorded this")  # the agreed outcome, answered by the record

    # Each agency ticks its own file entry: the school's link is the school's only.
    school_item = page.get_by_role(
        "link",
        name="Agreed actions recorded on the subject's file in each agency: "
        "Invented Primary School",
    )
    expect(
        page.get_by_role(
            "link",
            name="Agreed actions recorded on the subject's file in each agency: "
            "Invented Children's Services",
        )
    ).to_have_count(0)
    school_item.click()
    journey.check("checklist item")
    journey.see("You answer this for Invented Primary School")
    page.get_by_label("Yes, it has been done").check()
    page.get_by_role("button", name="Save").click()
    journey.see("Checklist item recorded")
    journey.sign_out()

    journey.sign_in(nel["manager"])
    # Resolved, so no longer in the default list of open escalations: the status filter finds it.
    page.goto(f"{live_server.url}/escalations/?status=closed")
    page.get_by_role("link", name="NEL-").click()
    page.get_by_role(
        "link",
        name="Agreed actions recorded on the subject's file in each agency: "
        "Invented Children's Services",
    ).click()
    page.get_by_label("Yes, it has been done").check()
    page.get_by_role("button", name="Save").click()
    journey.see("Checklist item recorded")
    expect(page.get_by_role("button", name="Close escalation")).to_have_count(0)
    journey.sign_out()

    # The raiser closes it: nothing more is due, and no due date is shown.
    journey.sign_in(nel["raiser"])
    page.goto(f"{live_server.url}/escalations/?status=closed")
    page.get_by_role("link", name="NEL-").click()
    page.get_by_role("button", name="Close escalation").click()
    journey.check("close")
    page.get_by_role("button", name="Close escalation").click()
    journey.see("Escalation closed")
    expect(page.locator("h1 + p")).to_contain_text("Closed")
    expect(page.locator("main")).not_to_contain_text("Stage due")
    journey.check("closed escalation")
    page.goto(f"{live_server.url}/escalations/")
    journey.see("You have no open escalations")
    page.get_by_role("link", name="See every escalation you are involved in").click()
    journey.see("Nothing due")


def test_an_immediate_risk_raise_shows_mash_at_once(
    page: Any, live_server: Any, axe: Any, nel: dict[str, Person]
):
    journey = Journey(page, live_server, axe)
    journey.sign_in(nel["raiser"])
    page.goto(f"{live_server.url}/escalations/new/")
    page.get_by_label("A child", exact=True).check()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Continue").click()

    journey.see_heading("Act today to keep them safe")
    journey.see("Multi-Agency Safeguarding Hub (MASH)")
    assert page.get_by_role("link", name="01472 326292").is_visible()
    assert "01472 256256" not in page.content()  # the adults' front door is not for a child
    journey.check("same day")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    journey.check("same day with errors")
    page.get_by_label("Yes, I have contacted them today").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Tell children's or adult social care about a new concern").check()
    page.get_by_role("button", name="Continue").click()
    journey.see_heading("Make a referral instead")
    journey.check("referral instead")


def test_the_whole_read_trail_is_reached_from_the_case_page(
    page: Any, live_server: Any, axe: Any, nel: dict[str, Person]
):
    escalation = raise_for(
        raised_by=nel["raiser"],
        other_agency=nel["counterpart"].agency,
        counterpart=nel["counterpart"],
    )
    ReadEvent.objects.bulk_create(
        ReadEvent(reader=nel["manager"], what=ReadEvent.What.ESCALATION, escalation=escalation)
        for _ in range(READ_TRAIL_PAGE_SIZE + 5)
    )
    journey = Journey(page, live_server, axe)
    journey.sign_in(nel["raiser"])
    page.goto(f"{live_server.url}{escalation.get_absolute_url()}")

    page.get_by_role("link", name="See everyone who has seen this case").click()

    journey.see_heading("Who has seen this case")
    journey.check("read trail")
    journey.see("Lee Manager")
    page.get_by_role("link", name="Next page").click()
    journey.see_heading("Who has seen this case")
    expect(page.get_by_role("link", name="Previous page")).to_be_visible()
    page.get_by_role("link", name=f"Back to {escalation.reference}").click()
    journey.see(escalation.reference)

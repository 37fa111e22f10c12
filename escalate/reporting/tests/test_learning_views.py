"""The learning loop's pages: the form offered and held on the case's page, board actions
from the log to done, and good practice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalate.reporting.models import BoardAction, GoodPractice, PracticeIssue
from escalate.reporting.services import complete_board_action, create_board_action
from escalate.reporting.tests.conftest import TODAY, Cscp, Partnerships, send_form
from escalate.reporting.tests.test_views import fixed_today, signed_in  # noqa: F401 (autouse)

FORM_BUTTON = "Send the Escalation Notification Form"


def make_action(cscp: Cscp, issue: PracticeIssue, *, due_on: date | None = None) -> BoardAction:
    return create_board_action(
        practice_issue=issue,
        actor=cscp.manager,
        description="Run a multi-agency briefing on neglect thresholds.",
        owner=cscp.chair,
        due_on=due_on or TODAY + timedelta(days=14),
        today=TODAY,
    )


# --- the case's page offers the form, and says what it holds back --------------------------------


def test_the_case_page_offers_the_form_to_the_lead_agency_while_it_is_due(
    client: Client, cscp: Cscp
) -> None:
    page = signed_in(client, cscp.lead).get(cscp.escalation.get_absolute_url())

    body = page.content.decode()
    assert "Notification form due at stage 3" in body
    assert "cannot be escalated further or closed" in body
    assert FORM_BUTTON in body
    assert reverse("reporting:practice_issue_new", kwargs={"pk": cscp.escalation.pk}) in body
    assert reverse("escalations:escalate", kwargs={"pk": cscp.escalation.pk}) not in body


def test_others_see_the_form_is_due_but_get_no_button(client: Client, cscp: Cscp) -> None:
    body = signed_in(client, cscp.escalation.raised_by).get(cscp.escalation.get_absolute_url())

    assert "Notification form due at stage 3" in body.content.decode()
    assert FORM_BUTTON not in body.content.decode()


def test_once_the_form_is_sent_the_case_moves_on(client: Client, cscp: Cscp) -> None:
    send_form(cscp)

    body = signed_in(client, cscp.lead).get(cscp.escalation.get_absolute_url()).content.decode()

    assert "Notification form due" not in body
    assert reverse("escalations:escalate", kwargs={"pk": cscp.escalation.pk}) in body


def test_escalating_before_the_form_is_the_stage_machines_403(client: Client, cscp: Cscp) -> None:
    url = reverse("escalations:escalate", kwargs={"pk": cscp.escalation.pk})

    response = signed_in(client, cscp.lead).get(url)

    assert response.status_code == 403
    body = response.content.decode()
    assert "send the Escalation Notification Form" in body
    # The refusal links the way out: the form itself, and the case's page.
    assert reverse("reporting:practice_issue_new", kwargs={"pk": cscp.escalation.pk}) in body
    assert f'href="{cscp.escalation.get_absolute_url()}"' in body


def test_the_form_starts_from_the_previous_update(client: Client, cscp: Cscp) -> None:
    send_form(cscp, "Threshold guidance is silent on repeated missed appointments.")
    url = reverse("reporting:practice_issue_new", kwargs={"pk": cscp.escalation.pk})

    body = signed_in(client, cscp.lead).get(url).content.decode()

    assert "Threshold guidance is silent on repeated missed appointments.</textarea>" in body


# --- board actions -------------------------------------------------------------------------------


def test_the_log_offers_a_board_action_on_each_issue(client: Client, cscp: Cscp) -> None:
    issue = send_form(cscp)

    body = signed_in(client, cscp.manager).get(reverse("reporting:practice_issues")).content

    assert reverse("reporting:board_action_new", kwargs={"pk": issue.pk}) in body.decode()


def test_the_business_manager_makes_a_board_action_from_the_log(client: Client, cscp: Cscp) -> None:
    issue = send_form(cscp)
    url = reverse("reporting:board_action_new", kwargs={"pk": issue.pk})

    response = signed_in(client, cscp.manager).post(
        url,
        {
            "description": "Revise the neglect threshold guidance.",
            "owner": cscp.chair.pk,
            "due_on": (TODAY + timedelta(days=28)).isoformat(),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:board_actions")
    action = BoardAction.objects.get()
    assert (action.practice_issue, action.owner) == (issue, cscp.chair)


def test_a_board_action_due_in_the_past_is_the_services_error(client: Client, cscp: Cscp) -> None:
    issue = send_form(cscp)
    url = reverse("reporting:board_action_new", kwargs={"pk": issue.pk})

    response = signed_in(client, cscp.manager).post(
        url,
        {"description": "Late.", "owner": cscp.chair.pk, "due_on": "2026-11-01"},
    )

    assert response.status_code == 200
    assert "The due date must be today or in the future." in response.content.decode()
    assert not BoardAction.objects.exists()


@pytest.mark.parametrize("name", ["board_action_new", "board_action_done"])
def test_the_lead_agency_and_other_partnerships_get_404(
    client: Client, cscp: Cscp, world: Partnerships, name: str
) -> None:
    issue = send_form(cscp)
    action = make_action(cscp, issue)
    pk = issue.pk if name == "board_action_new" else action.pk
    url = reverse(f"reporting:{name}", kwargs={"pk": pk})

    assert signed_in(client, cscp.lead).get(url).status_code == 404
    assert signed_in(client, world.manager).get(url).status_code == 404  # NEL's manager


def test_the_list_filters_open_and_done_and_shows_overdue(client: Client, cscp: Cscp) -> None:
    issue = send_form(cscp)
    overdue = make_action(cscp, issue, due_on=TODAY)
    done = make_action(cscp, issue)
    complete_board_action(board_action=done, actor=cscp.chair, outcome="training", note="")
    client = signed_in(client, cscp.manager)
    url = reverse("reporting:board_actions")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("escalate.reporting.views.local_today", lambda: TODAY + timedelta(days=1))
        open_page = client.get(url).content.decode()
    done_page = client.get(url, {"show": "done"}).content.decode()
    all_page = client.get(url, {"show": "all"}).content.decode()

    done_link = reverse("reporting:board_action_done", kwargs={"pk": done.pk})
    overdue_link = reverse("reporting:board_action_done", kwargs={"pk": overdue.pk})
    assert "Overdue" in open_page and overdue_link in open_page and done_link not in open_page
    assert "Training" in done_page and overdue_link not in done_page
    assert all_page.count("govuk-table__row") == 3  # the header and both actions


def test_the_list_costs_the_same_for_one_action_or_many(client: Client, cscp: Cscp) -> None:
    issue = send_form(cscp)
    make_action(cscp, issue)
    client = signed_in(client, cscp.manager)
    url = reverse("reporting:board_actions")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        make_action(cscp, issue)
    with CaptureQueriesContext(connection) as five:
        client.get(url)

    assert len(five) == len(one)


def test_marking_done_with_an_outcome(client: Client, cscp: Cscp) -> None:
    action = make_action(cscp, send_form(cscp))
    url = reverse("reporting:board_action_done", kwargs={"pk": action.pk})
    client = signed_in(client, cscp.chair)

    missing = client.post(url, {"note": "Done."})
    response = client.post(url, {"outcome": "procedure_changed", "note": "Section 4 rewritten."})

    assert "Choose the outcome." in missing.content.decode()
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.outcome) == ("done", "procedure_changed")


# --- good practice -------------------------------------------------------------------------------


def test_those_involved_recognise_good_practice_from_the_case_page(
    client: Client, cscp: Cscp
) -> None:
    client = signed_in(client, cscp.lead)
    url = reverse("reporting:good_practice_new", kwargs={"pk": cscp.escalation.pk})

    page = client.get(cscp.escalation.get_absolute_url()).content.decode()
    response = client.post(url, {"description": "Health shared the records the same day."})

    assert url in page
    assert response.status_code == 302
    assert GoodPractice.objects.get().recorded_by == cscp.lead


def test_the_business_manager_sees_the_good_practice_list(
    client: Client, cscp: Cscp, world: Partnerships
) -> None:
    signed_in(client, cscp.lead).post(
        reverse("reporting:good_practice_new", kwargs={"pk": cscp.escalation.pk}),
        {"description": "A joint visit within a day."},
    )
    url = reverse("reporting:good_practice")

    assert (
        "A joint visit within a day." in signed_in(client, cscp.manager).get(url).content.decode()
    )
    assert signed_in(client, cscp.lead).get(url).status_code == 404
    assert "A joint visit" not in signed_in(client, world.manager).get(url).content.decode()

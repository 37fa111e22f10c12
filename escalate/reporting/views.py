"""The partnership's register, its CSV export, the practice issues log, board actions and
good practice.

Only the business managers and chairs of a partnership reach the register, the log, the
board actions and the good practice list; everyone else gets a 404, as if the pages did
not exist. Recording a practice issue, or recognising good practice, is open to those the
stage machine allows on the escalation.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.domain.engine import TransitionRefused
from escalate.escalations.access import ActionForbidden, get_for
from escalate.escalations.clock import local_today
from escalate.escalations.list_forms import INVALID_CURSOR
from escalate.escalations.presenters import pagination
from escalate.escalations.selectors import InvalidCursor, Page, directory_people
from escalate.organisations.models import Person
from escalate.reporting.exports import register_csv_lines
from escalate.reporting.forms import (
    BoardActionDoneForm,
    BoardActionFilterForm,
    BoardActionForm,
    GoodPracticeForm,
    PracticeIssueEntryForm,
    PracticeIssueFilterForm,
    RegisterFilterForm,
)
from escalate.reporting.models import BoardAction, PracticeIssue
from escalate.reporting.selectors import (
    PracticeIssueFilters,
    RegisterFilters,
    board_action_page,
    board_action_rows,
    good_practice_page,
    overseen_partnership_ids,
    practice_issue_page,
    practice_issues,
    register,
    register_options,
    register_rows,
    register_total,
)
from escalate.reporting.services import (
    complete_board_action,
    create_board_action,
    good_practice_refusal,
    practice_issue_refusal,
    record_good_practice,
    record_practice_issue,
)


def _overseer(request: HttpRequest) -> tuple[Person, list[int]]:
    person = getattr(request, "person", None)
    partnership_ids = overseen_partnership_ids(person) if person is not None else []
    if person is None or not partnership_ids:
        raise Http404("No such page.")
    return person, partnership_ids


def _overseer_list(
    request: HttpRequest, template: str, partnership_ids: list[int], page: Page[Any], **context: Any
) -> HttpResponse:
    """One of the overseers' lists: its page, pager and partnership column, never cached."""
    response = render(
        request,
        template,
        {
            **context,
            "pagination": pagination(request, page),
            "show_partnership": len(partnership_ids) > 1,
            "nav": "register",
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def register_page(request: HttpRequest) -> HttpResponse:
    person, partnership_ids = _overseer(request)
    form = RegisterFilterForm(request.GET or None, options=register_options(partnership_ids))
    filters, today = form.filters(), local_today()
    try:
        page = register(person, filters=filters, today=today, cursor=request.GET.get("cursor", ""))
    except InvalidCursor:
        form.cursor_refused()
        page = register(person, filters=filters, today=today)
    query = request.GET.copy()
    query.pop("cursor", None)
    response = render(
        request,
        "reporting/register.html",
        {
            "form": form,
            "figure": _figure_heading(filters, form),
            "without_figure": _without(request, "figure"),
            "rows": page.items,
            "filters": filters,
            "pagination": pagination(request, page),
            "query": query.urlencode(),
            "show_partnership": len(partnership_ids) > 1,
            "nav": "register",
        },
    )
    add_never_cache_headers(response)
    return response


def _figure_heading(filters: RegisterFilters, form: RegisterFilterForm) -> str:
    """What the dashboard figure the rows stand behind counts, in words; "" for none."""
    if filters.figure is None:
        return ""
    agencies = dict(form.fields["agency"].queryset.values_list("pk", "name"))  # type: ignore[attr-defined]
    categories = dict(form.fields["category"].choices)  # type: ignore[attr-defined]
    return str(filters.figure.described(agency_names=agencies, category_labels=categories))


def _without(request: HttpRequest, name: str) -> str:
    """This page's address without one of its query's parameters (and its page link)."""
    query = request.GET.copy()
    query.pop(name, None)
    query.pop("cursor", None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


@login_required
@require_GET
def register_export(request: HttpRequest) -> HttpResponseBase:
    """The register as CSV, written as it is read, so any size streams in constant memory."""
    person, partnership_ids = _overseer(request)
    form = RegisterFilterForm(request.GET or None, options=register_options(partnership_ids))
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            f"Check the filters: {form.problems()}",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    today, filters = local_today(), form.filters()
    total = register_total(person, filters=filters, today=today)
    rows = register_rows(person, filters=filters, today=today)
    record_read(request, what=ReadEvent.What.EXPORT, detail=f"register.csv ({form.description()})")
    response = StreamingHttpResponse(
        register_csv_lines(rows), content_type="text/csv; charset=utf-8"
    )
    filename = f"escalation-register-{today.isoformat()}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["X-Row-Count"] = str(total)  # the progress bar's end (register-export.js)
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def practice_issue_list(request: HttpRequest) -> HttpResponse:
    person, partnership_ids = _overseer(request)
    form = PracticeIssueFilterForm(request.GET or None, options=register_options(partnership_ids))
    filters = form.filters()
    try:
        page = practice_issue_page(person, filters=filters, cursor=request.GET.get("cursor", ""))
    except InvalidCursor:
        form.add_error(None, INVALID_CURSOR)
        page = practice_issue_page(person, filters=filters)
    return _overseer_list(
        request,
        "reporting/practice_issues.html",
        partnership_ids,
        page,
        form=form,
        issues=page.items,
    )


@login_required
@require_http_methods(["GET", "POST"])
def practice_issue_new(request: HttpRequest, pk: UUID) -> HttpResponse:
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No such escalation.")
    escalation = get_for(person, str(pk))
    refusal = practice_issue_refusal(escalation, person)
    if refusal:  # the same page, and sentence, as every other move the stage machine refuses
        return render(request, "escalations/forbidden.html", {"reason": refusal}, status=403)
    history = list(
        PracticeIssue.objects.filter(escalation=escalation).select_related(
            "lead_agency", "updated_by"
        )
    )
    form = PracticeIssueEntryForm(
        request.POST if request.method == "POST" else None,
        previous=history[0] if history else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            record_practice_issue(
                escalation=escalation,
                actor=person,
                issue=form.cleaned_data["issue"],
                is_resolved=form.cleaned_data["is_resolved"],
            )
        except TransitionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The practice issue has been sent to the partnership.")
            return redirect(escalation)
    return render(
        request,
        "reporting/practice_issue_form.html",
        {"escalation": escalation, "form": form, "history": history},
    )


# --- board actions ---------------------------------------------------------------------------


def _forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "escalations/forbidden.html", {"reason": reason}, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def board_action_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a board action on one practice issue of the log (the log's own scope)."""
    person, _partnership_ids = _overseer(request)
    issue = practice_issues(person, filters=PracticeIssueFilters()).filter(pk=pk).first()
    if issue is None:
        raise Http404("No such practice issue.")
    escalation = issue.escalation
    form = BoardActionForm(
        request.POST if request.method == "POST" else None,
        owners=directory_people(escalation.partnership),
    )
    if request.method == "POST" and form.is_valid():
        try:
            create_board_action(
                practice_issue=issue,
                actor=person,
                description=form.cleaned_data["description"],
                owner=form.cleaned_data["owner"],
                due_on=form.cleaned_data["due_on"],
                today=local_today(),
            )
        except ActionForbidden as error:
            return _forbidden(request, str(error))
        except TransitionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The board action has been made.")
            return redirect("reporting:board_actions")
    return render(
        request,
        "reporting/board_action_form.html",
        {"issue": issue, "escalation": escalation, "form": form, "nav": "register"},
    )


@login_required
@require_GET
def board_action_list(request: HttpRequest) -> HttpResponse:
    _person, partnership_ids = _overseer(request)
    form = BoardActionFilterForm(request.GET or None)
    show = form.chosen()
    try:
        page = board_action_page(partnership_ids, show=show, cursor=request.GET.get("cursor", ""))
    except InvalidCursor:
        form.add_error(None, INVALID_CURSOR)
        page = board_action_page(partnership_ids, show=show)
    return _overseer_list(
        request,
        "reporting/board_actions.html",
        partnership_ids,
        page,
        form=form,
        rows=board_action_rows(page.items, today=local_today()),
    )


@login_required
@require_http_methods(["GET", "POST"])
def board_action_done(request: HttpRequest, pk: int) -> HttpResponse:
    person, partnership_ids = _overseer(request)
    action = get_object_or_404(
        BoardAction.objects.select_related("owner", "practice_issue__escalation"),
        pk=pk,
        partnership_id__in=partnership_ids,
    )
    form = BoardActionDoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            complete_board_action(
                board_action=action,
                actor=person,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ActionForbidden as error:
            return _forbidden(request, str(error))
        except TransitionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The board action is marked as done.")
            return redirect("reporting:board_actions")
    return render(
        request,
        "reporting/board_action_done.html",
        {"action": action, "form": form, "nav": "register"},
    )


# --- good practice ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def good_practice_new(request: HttpRequest, pk: UUID) -> HttpResponse:
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No such escalation.")
    escalation = get_for(person, str(pk))
    refusal = good_practice_refusal(escalation, person)
    if refusal:
        return _forbidden(request, refusal)
    form = GoodPracticeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            record_good_practice(
                escalation=escalation, actor=person, description=form.cleaned_data["description"]
            )
        except TransitionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you: the good practice has been recorded.")
            return redirect(escalation)
    return render(
        request, "reporting/good_practice_form.html", {"escalation": escalation, "form": form}
    )


@login_required
@require_GET
def good_practice_list(request: HttpRequest) -> HttpResponse:
    _person, partnership_ids = _overseer(request)
    cursor_error = ""
    try:
        page = good_practice_page(partnership_ids, cursor=request.GET.get("cursor", ""))
    except InvalidCursor:
        cursor_error = INVALID_CURSOR
        page = good_practice_page(partnership_ids)
    return _overseer_list(
        request,
        "reporting/good_practice.html",
        partnership_ids,
        page,
        entries=page.items,
        cursor_error=cursor_error,
    )

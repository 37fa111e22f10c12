"""The partnership's register, its CSV export and the practice issues log.

Only the business managers and chairs of a partnership reach these pages; everyone
else gets a 404, as if the pages did not exist. Recording a practice issue is open to
anyone who may act on the escalation.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.domain.engine import TransitionRefused
from escalate.escalations.access import get_for
from escalate.escalations.clock import local_today
from escalate.escalations.list_forms import INVALID_CURSOR
from escalate.escalations.presenters import pagination
from escalate.escalations.selectors import InvalidCursor
from escalate.organisations.models import Person
from escalate.reporting.exports import register_csv_lines
from escalate.reporting.forms import PracticeIssueFilterForm, PracticeIssueForm, RegisterFilterForm
from escalate.reporting.models import PracticeIssue
from escalate.reporting.selectors import (
    overseen_partnership_ids,
    practice_issue_page,
    register,
    register_options,
    register_rows,
    register_total,
)
from escalate.reporting.services import practice_issue_refusal, record_practice_issue


    RegisterFilters,
def _overseer(request: HttpRequest) -> tuple[Person, list[int]]:
    person = getattr(request, "person", None)
    partnership_ids = overseen_partnership_ids(person) if person is not None else []
    if person is None or not partnership_ids:
        raise Http404("No such page.")
    return person, partnership_ids


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
            "figure": _figure_heading(filters, form),
            "without_figure": _without(request, "figure"),
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
    response = render(
        request,
        "reporting/practice_issues.html",
        {
            "form": form,
            "issues": page.items,
            "pagination": pagination(request, page),
            "show_partnership": len(partnership_ids) > 1,
            "nav": "register",
        },
    )
    add_never_cache_headers(response)
    return response


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
    form = PracticeIssueForm(request.POST if request.method == "POST" else None)
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
    history = PracticeIssue.objects.filter(escalation=escalation).select_related(
        "lead_agency", "updated_by"
    )
    return render(
        request,
        "reporting/practice_issue_form.html",
        {"escalation": escalation, "form": form, "history": history},
    )

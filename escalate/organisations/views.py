"""The directory, for administrators: agencies, people, and CSV import.

Anyone who administers no partnership gets 404 for every page here. These pages show
only directory facts, never anything from an escalation.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from escalate.common.text import search_problem
from escalate.escalations import leavers
from escalate.organisations import accounts, services
from escalate.organisations.forms import (
    AgencyForm,
    ImportForm,
    LeaverForm,
    PersonForm,
    PlaceElsewhereForm,
    RolesElsewhereForm,
)
from escalate.organisations.importing import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    ImportKind,
    ImportReport,
    check_upload,
)
from escalate.organisations.models import (
    AGENCY_KIND_CHOICES,
    LADDER_ROLE_CHOICES,
    PARTNERSHIP_ROLE_CHOICES,
    Person,
)
from escalate.organisations.selectors import (
    PartnershipDirectory,
    administered_partnerships,
    agencies_in,
    agency_for_administrator,
    directory_people,
    other_places_of,
    person_for_administrator,
)
from escalate.policies.models import Partnership

PEOPLE_PER_PAGE = 50


def _administered(request: HttpRequest) -> list[Partnership]:
    """The partnerships the signed-in user administers; 404 if none."""
    partnerships = list(administered_partnerships(request.user, _actor(request)))
    if not partnerships:
        raise Http404("No such page.")
    return partnerships


def _actor(request: HttpRequest) -> Person | None:
    return getattr(request, "person", None)


@login_required
@require_http_methods(["GET"])
def directory(request: HttpRequest) -> HttpResponse:
    partnerships = _administered(request)
    search = request.GET.get("q", "").strip()
    # A search that cannot be run is refused at the box; the list shows everyone meanwhile.
    search_error = search_problem(search)
    people = directory_people(partnerships, search="" if search_error else search)
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/directory.html",
        {
            "partnerships": partnerships,
            "agencies": agencies_in(partnerships),
            "page": page,
            "search": "" if search_error else search,
            "typed_search": search.replace("\x00", ""),
            "search_error": search_error,
            "errors": [{"text": search_error, "href": "#id_q"}] if search_error else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agency_create(request: HttpRequest) -> HttpResponse:
    partnerships = _administered(request)
    form = AgencyForm(request.POST or None, partnerships=partnerships)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.create_agency(
                actor=_actor(request),
                partnership=form.partnership(),
                name=form.cleaned_data["name"],
                kind=form.agency_kind(),
            )
        except services.DirectoryRefused as refusal:
            form.refuse(refusal.field, str(refusal))
        else:
            messages.success(request, f"{agency} added to the directory.")
            return redirect("organisations:directory")
    return render(request, "organisations/agency_form.html", {"form": form, "agency": None})


@login_required
@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partnerships = _administered(request)
    agency = agency_for_administrator(partnerships, pk)
    form = AgencyForm(request.POST or None, partnerships=partnerships, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.update_agency(
                agency=agency,
                actor=_actor(request),
                name=form.cleaned_data["name"],
                kind=form.agency_kind(),
            )
        except services.DirectoryRefused as refusal:
            form.refuse(refusal.field, str(refusal))
        else:
            messages.success(request, f"{agency} updated.")
            return redirect("organisations:directory")
    return render(request, "organisations/agency_form.html", {"form": form, "agency": agency})


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    partnerships = _administered(request)
    form = PersonForm(request.POST or None, partnerships=partnerships)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_person(
                actor=_actor(request),
                details=form.details(),
                partnership_roles=form.roles_by_partnership(),
            )
        except services.DirectoryRefused as refusal:
            form.refuse(refusal.field, str(refusal))
        else:
            messages.success(
                request,
                f"{person} added to the directory. They sign in as {person.email} "
                "once they have set a password.",
            )
            return redirect("organisations:directory")
    return render(request, "organisations/person_form.html", {"form": form, "person": None})


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partnerships = _administered(request)
    person = person_for_administrator(partnerships, pk)
    form = PersonForm(request.POST or None, partnerships=partnerships, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.update_person(
                person=person,
                actor=_actor(request),
                details=form.details(),
                partnership_roles=form.roles_by_partnership(),
            )
        except services.DirectoryRefused as refusal:
            form.refuse(refusal.field, str(refusal))
        else:
            messages.success(request, f"{person} updated.")
            return redirect("organisations:directory")
    return render(request, "organisations/person_form.html", _person_page(request, form, person))


def _person_page(request: HttpRequest, form: PersonForm, person: Person) -> dict[str, object]:
    refusal = accounts.invitation_refusal(
        person=person, actor_user=request.user, actor=_actor(request)
    )
    has_password = person.user is not None and person.user.has_usable_password()
    return {
        "open_escalations": leavers.open_work_of(person).escalation_count,
        "form": form,
        "person": person,
        "may_invite": not refusal,
        "has_password": has_password,
        "invitation_days": accounts.link_lifetime(),
        "other_places": list(other_places_of(person)),
    }


@login_required
@require_http_methods(["POST"])
def person_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Email the person a link to set their password."""
    person = person_for_administrator(_administered(request), pk)
    try:
        accounts.invite_person(person=person, actor_user=request.user, actor=_actor(request))
    except services.DirectoryRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Invitation sent to {person.email}.")
    return redirect("organisations:person_edit", pk=person.pk)


@login_required
@require_http_methods(["GET", "POST"])
def person_roles_elsewhere(request: HttpRequest) -> HttpResponse:
    """Give roles here to someone already in another partnership's directory."""
    partnerships = _administered(request)
    form = RolesElsewhereForm(request.POST or None, partnerships=partnerships)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                for partnership, roles in form.roles_by_partnership().items():
                    person = services.grant_roles_to_someone_elsewhere(
                        actor=_actor(request),
                        email=form.cleaned_data["email"],
                        partnership=partnership,
                        roles=roles,
                    )
        except services.DirectoryRefused as refusal:
            form.refuse(refusal.field, str(refusal))
        else:
            messages.success(request, f"{person} now holds those roles in your partnership.")
            return redirect("organisations:person_edit", pk=person.pk)
    return render(request, "organisations/roles_elsewhere.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def person_place_elsewhere(request: HttpRequest) -> HttpResponse:
    """Give a place in one of our agencies to someone already in another partnership's
    directory: a new entry here, sharing their account."""
    form = PlaceElsewhereForm(request.POST or None, partnerships=_administered(request))
    if request.method == "POST" and form.is_valid():
        try:
            person = services.add_place_for_someone_elsewhere(
                actor=_actor(request), email=form.cleaned_data["email"], place=form.place()
            )
        except services.DirectoryRefused as refusal:
            form.refuse(refusal.field, str(refusal))
        else:
            messages.success(
                request,
                f"{person} now has a place in {person.agency}. They choose where they work "
                "at the top of each page.",
            )
            return redirect("organisations:person_edit", pk=person.pk)
    return render(request, "organisations/place_elsewhere.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def person_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate a leaver and hand their open work to a successor, or flag it; for someone
    already inactive, hand over what is still flagged."""
    person = person_for_administrator(_administered(request), pk)
    form = LeaverForm(request.POST or None, leaver=person)
    if request.method == "POST" and form.is_valid():
        successor = form.chosen_successor()
        try:
            handed = leavers.leave(person=person, successor=successor, actor=_actor(request))
        except services.DirectoryRefused as refusal:
            form.refuse("successor", str(refusal))
        else:
            messages.success(request, leavers.left_text(person, successor, handed))
            return redirect("organisations:person_edit", pk=person.pk)
    work = leavers.open_work_of(person)
    return render(
        request,
        "organisations/person_leave.html",
        {"form": form, "person": person, "open_escalations": work.escalation_count},
    )


@login_required
@require_http_methods(["GET", "POST"])
def directory_import(request: HttpRequest) -> HttpResponse:
    """Check every row of an uploaded CSV; import all of them only if every row passes."""
    partnerships = _administered(request)
    form = ImportForm(request.POST or None, request.FILES or None, partnerships=partnerships)
    report: ImportReport | None = None
    if request.method == "POST" and form.is_valid():
        partnership = form.partnership()
        data = form.cleaned_data["file"].read(MAX_BYTES + 1)
        report = check_upload(
            data, kind=form.import_kind(), directory=PartnershipDirectory(partnership)
        )
        if report.is_accepted and request.POST.get("action") != "check":
            try:
                result = services.import_directory(
                    partnership=partnership, actor=_actor(request), rows=report.rows
                )
            except services.ImportRefused as refusal:
                report = refusal.report(kind=report.kind, rows_read=report.rows_read)
            else:
                messages.success(request, f"{partnership}: {result.describe()}")
                return redirect("organisations:directory")
    return render(
        request,
        "organisations/import.html",
        {
            "form": form,
            "report": report,
            "checked_only": request.POST.get("action") == "check",
            "columns": COLUMNS,
            "agency_kinds": [value for value, _ in AGENCY_KIND_CHOICES],
            "ladder_roles": [value for value, _ in LADDER_ROLE_CHOICES],
            "partnership_roles": [value for value, _ in PARTNERSHIP_ROLE_CHOICES],
            "max_rows": f"{MAX_ROWS:,}",
            "max_megabytes": MAX_BYTES // (1024 * 1024),
            "kinds": ImportKind,
        },
    )

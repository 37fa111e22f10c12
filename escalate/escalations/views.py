"""The practitioners' and managers' pages: parse, fetch through access, call one service, render.

Every page works without JavaScript. Who may do what is the stage machine's answer
(``authority.moves_of``): an action page opened by someone it refuses shows its sentence
on a 403 page, and a refusal by the service shows the service's sentence on the form.
Each action posts the ``revision`` its page was drawn from, so a change made meanwhile by
someone else is refused, not overwritten: the page is drawn again from the escalation as
it is now, keeps what was typed, and asks the person to confirm before trying again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.domain import engine, moves
from escalate.domain.moves import Move
from escalate.domain.policy import ChecklistItem, PolicyRules
from escalate.escalations import (
    attachments,
    authority,
    clock,
    forms,
    presenters,
    selectors,
    services,
)
from escalate.escalations.access import ActionForbidden, get_for
from escalate.escalations.list_forms import INVALID_CURSOR, ListFilterForm
from escalate.escalations.models import AgreedAction, Appointment, Escalation
from escalate.organisations.models import Person
from escalate.policies.models import Policy

PersonView = Callable[..., HttpResponse]
GET_AND_POST = require_http_methods(["GET", "POST"])


def for_person(view: PersonView) -> PersonView:
    """Signed in, with a directory entry; ``ActionForbidden`` becomes a 403 page."""

    @login_required
    @GET_AND_POST
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = getattr(request, "person", None)
        if person is None:
            return _forbidden(
                request,
                "Your account is not linked to anyone in the directory. "
                "Ask your partnership's administrator to add you.",
            )
        try:
            return view(request, person, *args, **kwargs)
        except ActionForbidden:
            return _forbidden(request, "You can see this escalation, but you cannot do this on it.")

    return wrapped


def _forbidden(
    request: HttpRequest,
    reason: str,
    items: list[str] | None = None,
    *,
    escalation: Escalation | None = None,
    practice_issue_url: str = "",
) -> HttpResponse:
    context = {
        "reason": reason,
        "items": items,
        "escalation": escalation,
        "practice_issue_url": practice_issue_url,
    }
    return render(request, "escalations/forbidden.html", context, status=403)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@contextmanager
def refusals_shown_on(
    form: forms.GovukForm, escalation: Escalation | None = None
) -> Iterator[None]:
    """Turn a refused or stale change into a form error; the person's input stays.

    After a stale refusal ``escalation`` is read again, so the page is drawn from it as it
    is now, and an action form asks the person to confirm before trying again.
    """
    try:
        yield
    except services.StaleEscalation as stale:
        if escalation is not None and isinstance(form, forms.ActionForm):
            escalation.refresh_from_db()
            form.changed_meanwhile(revision=escalation.revision, message=str(stale))
        else:
            form.add_error(None, str(stale))
    except engine.TransitionRefused as refused:
        form.add_error(None, str(refused))


def _done(request: HttpRequest, escalation: Escalation, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(escalation.get_absolute_url())


# --- The list and the detail page --------------------------------------------------------


@for_person
def my_escalations(request: HttpRequest, person: Person) -> HttpResponse:
    form = ListFilterForm(
        request.GET or None,
        options=selectors.list_options(selectors.own_partnership_ids(person)),
    )
    filters, today = form.list_filters(), clock.local_today()
    try:
        page = selectors.escalations_listed_for(
            person, filters=filters, today=today, cursor=request.GET.get("cursor", "")
        )
    except selectors.InvalidCursor:
        form.cursor_refused()
        page = selectors.escalations_listed_for(person, filters=filters, today=today)
    rows = presenters.escalation_rows(
        page.items, person=person, rules=selectors.RulesCache(), today=today
    )
    return render(
        request,
        "escalations/mine.html",
        {
            "form": form,
            "rows": rows,
            "filters": filters,
            "pagination": presenters.pagination(request, page),
            "can_raise": person.agency_id is not None,
            "nav": "mine",
        },
    )


@for_person
def escalation_detail(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    # Read through the access filter with its whole record at once, not fetched by get_for
    # and then again: the same 404 for an escalation the person may not see.
    record = selectors.visible_escalation_record(person, str(pk))
    if record is None:
        raise Http404("No such escalation.")
    escalation = record.escalation
    record_read(request, what=ReadEvent.What.ESCALATION, escalation=escalation)
    page = presenters.escalation_page(record, person=person, today=clock.local_today())
    seen_by = presenters.seen_by(escalation, entitled=page.sees_read_trail)
    context: dict[str, object] = {"page": page, "seen_by": seen_by, "nav": "mine"}
    context |= attachments.on_page(person, escalation)  # the Attachments section
    return render(request, "escalations/detail.html", context)


@for_person
def read_trail(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    """Everyone who has read the case, newest first, page by page: for those its page shows
    the newest to. Reading the trail is not itself a read of the case."""
    escalation = get_for(person, str(pk))
    actor = authority.actor_of(person, escalation.partnership_id)
    if not moves.may_see_read_trail(authority.stored_case(escalation), actor):
        return _forbidden(request, moves.READ_TRAIL_REFUSED)
    problem = ""
    try:
        page = selectors.read_trail_page(escalation, request.GET.get("cursor", ""))
    except selectors.InvalidCursor:
        problem = INVALID_CURSOR
        page = selectors.read_trail_page(escalation)
    return render(
        request,
        "escalations/read_trail.html",
        {
            "escalation": escalation,
            "rows": presenters.read_trail_rows(page.items),
            "pagination": presenters.pagination(request, page),
            "problem": problem,
            "nav": "mine",
        },
    )


# --- Raising: triage, the same-day route, the right route, then the details -------------


def _raising_policy(person: Person) -> Policy | None:
    if person.agency is None:
        return None
    return person.agency.partnership.current_policy()


def _step_url(name: str, state: forms.RaiseState) -> str:
    return f"{reverse(f'escalations:{name}')}?{urlencode({'state': state.token()})}"


def _raise_context(
    person: Person, request: HttpRequest
) -> tuple[Policy, PolicyRules, forms.RaiseState | None] | HttpResponse:
    policy = _raising_policy(person)
    if policy is None:
        return _forbidden(
            request,
            "Only someone working in one of the partnership's agencies can raise an escalation.",
        )
    return policy, policy.rules, forms.RaiseState.from_token(request.GET.get("state"))


@for_person
def raise_triage(request: HttpRequest, person: Person) -> HttpResponse:
    found = _raise_context(person, request)
    if isinstance(found, HttpResponse):
        return found
    _, rules, state = found
    initial = (
        {
            "subject_kind": state.subject_kind,
            "immediate_risk": "yes" if state.immediate_risk else "no",
        }
        if state
        else {}
    )
    form = forms.TriageForm(_posted(request), rules=rules, initial=initial)
    if form.is_bound and form.is_valid():
        state = form.state()
        return redirect(
            _step_url("raise_same_day" if state.immediate_risk else "raise_route", state)
        )
    return render(
        request,
        "escalations/raise/triage.html",
        {"form": presenters.form_view(form), "nav": "raise"},
    )


@for_person
def raise_same_day(request: HttpRequest, person: Person) -> HttpResponse:
    found = _raise_context(person, request)
    if isinstance(found, HttpResponse):
        return found
    _, rules, state = found
    if state is None or not state.immediate_risk:
        return redirect("escalations:raise")
    initial = {}
    if state.same_day_route_taken is not None:
        initial = {"same_day_route_taken": "yes" if state.same_day_route_taken else "no"}
    form = forms.SameDayRouteForm(_posted(request), initial=initial)
    if form.is_bound and form.is_valid():
        taken = form.cleaned_data["same_day_route_taken"]
        return redirect(_step_url("raise_route", replace(state, same_day_route_taken=taken)))
    return render(
        request,
        "escalations/raise/same_day.html",
        {
            "form": presenters.form_view(form),
            "contacts": presenters.urgent_contacts(rules, state.kind),
            "guidance": rules.immediate_risk.guidance,
            "back": _step_url("raise", state),
            "nav": "raise",
        },
    )


@for_person
def raise_route(request: HttpRequest, person: Person) -> HttpResponse:
    found = _raise_context(person, request)
    if isinstance(found, HttpResponse):
        return found
    _, _, state = found
    if state is None:
        return redirect("escalations:raise")
    if state.immediate_risk and state.same_day_route_taken is None:
        return redirect(_step_url("raise_same_day", state))  # the front door comes first
    form = forms.RouteForm(_posted(request), initial={"route": state.route})
    if form.is_bound and form.is_valid():
        state = replace(state, route=form.cleaned_data["route"])
        is_escalation = state.route == forms.RouteForm.ESCALATION
        return redirect(_step_url("raise_details" if is_escalation else "raise_elsewhere", state))
    back = _step_url("raise_same_day" if state.immediate_risk else "raise", state)
    return render(
        request,
        "escalations/raise/route.html",
        {"form": presenters.form_view(form), "back": back, "nav": "raise"},
    )


@for_person
def raise_elsewhere(request: HttpRequest, person: Person) -> HttpResponse:
    found = _raise_context(person, request)
    if isinstance(found, HttpResponse):
        return found
    _, rules, state = found
    if state is None or state.route not in {forms.RouteForm.REFERRAL, forms.RouteForm.COMPLAINT}:
        return redirect("escalations:raise")
    return render(
        request,
        "escalations/raise/elsewhere.html",
        {
            "is_referral": state.route == forms.RouteForm.REFERRAL,
            "contacts": presenters.front_door_contacts(rules, state.kind),
            "back": _step_url("raise_route", state),
            "nav": "raise",
        },
    )


@for_person
def raise_details(request: HttpRequest, person: Person) -> HttpResponse:
    found = _raise_context(person, request)
    if isinstance(found, HttpResponse):
        return found
    policy, rules, state = found
    if state is None or state.route != forms.RouteForm.ESCALATION:
        return redirect("escalations:raise")
    form = forms.RaiseForm(
        _posted(request),
        rules=rules,
        state=state,
        agencies=selectors.agencies_to_disagree_with(person),
        people=selectors.practitioners_elsewhere(person),
        initial={"entry_route": forms.STANDARD_ROUTE} if rules.entry_routes else {},
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form):
            escalation = services.raise_escalation(
                raised_by=person, policy=policy, **form.service_arguments()
            ).escalation
            return _done(request, escalation, f"Escalation {escalation.reference} raised")
    return render(
        request,
        "escalations/raise/details.html",
        {
            "form": presenters.form_view(form),
            "state": state,
            "about": presenters.subject_kind_label(state.kind),
            "change_about": _step_url("raise", state),
            "contacts": presenters.urgent_contacts(rules, state.kind)
            if state.immediate_risk and not state.same_day_route_taken
            else [],
            "back": _step_url("raise_route", state),
            "nav": "raise",
        },
    )


# --- Actions: one page and one service each ----------------------------------------------


def _is_stale_post(request: HttpRequest, escalation: Escalation) -> bool:
    """A form drawn before someone else's change: it goes on, so the page says what changed."""
    if request.method != "POST":
        return False
    try:
        return int(request.POST.get("revision", "")) < escalation.revision
    except ValueError:
        return False


def _refused(
    request: HttpRequest, person: Person, escalation: Escalation, *needed: Move
) -> HttpResponse | None:
    """The 403 page with the stage machine's sentence, unless it allows one of ``needed``."""
    options = authority.moves_of(person, escalation)
    if any(options.allows(move) for move in needed) or _is_stale_post(request, escalation):
        return None
    # Where the refusal waits on the notification form, the way to send it is one step away.
    may_report = options.allows(Move.RECORD_PRACTICE_ISSUE)
    return _forbidden(
        request,
        options.refusal(needed[0]),
        escalation=escalation,
        practice_issue_url=reverse("reporting:practice_issue_new", args=[escalation.pk])
        if may_report
        else "",
    )


def _action_page(
    request: HttpRequest,
    person: Person,
    escalation: Escalation,
    template: str,
    form: forms.GovukForm,
    formset: Any = None,
    *,
    move: Move,
    **context: Any,
) -> HttpResponse:
    """An action's page; after a stale refusal, with the escalation as it is now and, where
    the change means the person may no longer do this, the stage machine's sentence."""
    refusal = ""
    changed: list[presenters.Row] = []
    if isinstance(form, forms.ActionForm) and form.after_change:
        changed = presenters.as_it_is_now(escalation, today=clock.local_today())
        refusal = authority.moves_of(person, escalation).refusal(move)
        if refusal:
            form.add_error(None, refusal)
    return render(
        request,
        f"escalations/actions/{template}",
        {
            "escalation": presenters.escalation_heading(escalation),
            "form": presenters.form_view(form, formset),
            "changed": changed,
            "refusal": refusal,
            **context,
        },
    )


def _revision_initial(escalation: Escalation, **initial: Any) -> dict[str, Any]:
    return {"revision": escalation.revision, **initial}


@for_person
def record_contact(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.RECORD_CONTACT):
        return refused
    form = forms.ContactForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        with refusals_shown_on(form, escalation):
            services.record_contact(
                escalation=escalation,
                actor=person,
                revision=data["revision"],
                kind=data["kind"],
                between=data["between"],
                summary=data["summary"],
                outcome=data["outcome"],
                decision_makers=data["decision_makers"],
                happened_on=data["happened_on"],
            )
            return _done(request, escalation, "Contact recorded")
    return _action_page(request, person, escalation, "contact.html", form, move=Move.RECORD_CONTACT)


@for_person
def escalate_to_next_stage(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.ESCALATE):
        return refused
    form = forms.ReasonForm(
        _posted(request),
        initial=_revision_initial(escalation),
        label="Why does this need to go to the next stage?",
        required_message="Enter why this needs to go to the next stage",
        hint="Say what was tried at this stage and why it did not resolve the disagreement. "
        "Every party will see this.",
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            escalation = services.escalate_stage(
                escalation=escalation,
                actor=person,
                reason=form.cleaned_data["reason"],
                revision=form.cleaned_data["revision"],
            )
            return _done(request, escalation, f"Escalated to stage {escalation.stage_number}")
    # Drawn after any stale refusal, so it previews the stage it would go to now.
    preview = presenters.next_stage_preview(escalation, today=clock.local_today())
    return _action_page(
        request, person, escalation, "escalate.html", form, move=Move.ESCALATE, preview=preview
    )


@for_person
def withdraw(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.WITHDRAW):
        return refused
    form = forms.ReasonForm(
        _posted(request),
        initial=_revision_initial(escalation),
        label="Why are you withdrawing this escalation?",
        required_message="Enter why you are withdrawing this escalation",
        hint="Every party, the raiser included, will see this.",
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.withdraw_escalation(
                escalation=escalation,
                actor=person,
                reason=form.cleaned_data["reason"],
                revision=form.cleaned_data["revision"],
            )
            return _done(request, escalation, "Escalation withdrawn")
    return _action_page(request, person, escalation, "withdraw.html", form, move=Move.WITHDRAW)


@for_person
def resolve(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.PROPOSE_RESOLUTION):
        return refused
    form = forms.ResolveForm(_posted(request), initial=_revision_initial(escalation))
    formset = forms.AgreedActionFormSet(
        _posted(request),
        prefix="actions",
        form_kwargs={"owners": selectors.directory_people(escalation.partnership)},
    )
    if form.is_bound and all([form.is_valid(), formset.is_valid()]):
        with refusals_shown_on(form, escalation):
            escalation = services.resolve_escalation(
                escalation=escalation,
                actor=person,
                agreed_outcome=form.cleaned_data["agreed_outcome"],
                actions=[
                    services.AgreedActionDetails(**row) for row in forms.agreed_actions(formset)
                ],
                revision=form.cleaned_data["revision"],
            )
            if escalation.status == Escalation.Status.RESOLVED:
                return _done(request, escalation, "Escalation resolved")
            return _done(
                request, escalation, "Resolution proposed: the other agencies confirm it next"
            )
    return _action_page(
        request,
        person,
        escalation,
        "resolve.html",
        form,
        formset,
        move=Move.PROPOSE_RESOLUTION,
        intro=presenters.resolution_intro(escalation),
    )


@for_person
def confirm_resolution(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.CONFIRM_RESOLUTION):
        return refused
    form = forms.ConfirmResolutionForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            escalation = services.confirm_resolution(
                escalation=escalation, actor=person, revision=form.cleaned_data["revision"]
            )
            if escalation.status == Escalation.Status.RESOLVED:
                return _done(request, escalation, "Resolution confirmed: escalation resolved")
            return _done(request, escalation, "Resolution confirmed for your agency")
    return _action_page(
        request,
        person,
        escalation,
        "confirm_resolution.html",
        form,
        move=Move.CONFIRM_RESOLUTION,
        proposal=presenters.confirmation_of(*selectors.proposal_with_owners(escalation)),
    )


def _agreed_action(escalation: Escalation, action_id: int) -> AgreedAction:
    return get_object_or_404(
        AgreedAction.objects.select_related("owner__agency"),
        pk=action_id,
        escalation=escalation,
        superseded_at=None,
    )


@for_person
def confirm_action(request: HttpRequest, person: Person, pk: UUID, action_id: int) -> HttpResponse:
    escalation = get_for(person, str(pk))
    action = _agreed_action(escalation, action_id)
    if refused := _refused(request, person, escalation, Move.CONFIRM_UNDERSTANDING):
        return refused
    form = forms.ConfirmForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.confirm_understanding(
                action=action, actor=person, revision=form.cleaned_data["revision"]
            )
            return _done(request, escalation, "Shared understanding confirmed")
    return _action_page(
        request,
        person,
        escalation,
        "confirm_action.html",
        form,
        move=Move.CONFIRM_UNDERSTANDING,
        action=presenters.agreed_action_summary(action),
    )


@for_person
def check_back_action(
    request: HttpRequest, person: Person, pk: UUID, action_id: int
) -> HttpResponse:
    escalation = get_for(person, str(pk))
    action = _agreed_action(escalation, action_id)
    if refused := _refused(request, person, escalation, Move.CHECK_BACK):
        return refused
    form = forms.CheckBackForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.check_back_action(
                action=action,
                actor=person,
                revision=form.cleaned_data["revision"],
                implemented=form.cleaned_data["implemented"],
                note=form.cleaned_data["note"],
            )
            return _done(request, escalation, "Agreed action checked back")
    return _action_page(
        request,
        person,
        escalation,
        "check_back.html",
        form,
        move=Move.CHECK_BACK,
        action=presenters.agreed_action_summary(action),
    )


@for_person
def checklist_item(request: HttpRequest, person: Person, pk: UUID, item: str) -> HttpResponse:
    escalation = get_for(person, str(pk))
    try:
        checklist_entry = ChecklistItem(item)
    except ValueError:
        raise Http404("No such checklist item.") from None
    if checklist_entry not in services.checklist_for(escalation):
        raise Http404("That item is not on this stage's checklist.")
    answering_for, refusal = "", ""
    try:
        slot = moves.check_checklist_answer(
            authority.case_of(escalation),
            authority.actor_of(person, escalation.partnership_id),
            escalation.policy.rules,
            checklist_entry,
        )
        answering_for = presenters.agency_name(escalation, slot.agency_id)
    except engine.TransitionRefused as refused:
        refusal = str(refused)
    if refusal and not _is_stale_post(request, escalation):
        return _forbidden(request, refusal)
    form = forms.ChecklistTickForm(
        _posted(request), item=checklist_entry, initial=_revision_initial(escalation)
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        with refusals_shown_on(form, escalation):
            services.tick_checklist_item(
                escalation=escalation,
                actor=person,
                revision=data["revision"],
                item=checklist_entry,
                is_done=data["is_done"],
                not_done_reason=data["not_done_reason"] if not data["is_done"] else "",
                review_on=data.get("review_on"),
            )
            return _done(request, escalation, "Checklist item recorded")
    return _action_page(
        request,
        person,
        escalation,
        "checklist_item.html",
        form,
        move=Move.ANSWER_CHECKLIST,
        answering_for=answering_for,
    )


@for_person
def close(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    outstanding = presenters.checklist_labels(
        services.outstanding_checklist(escalation), selectors.agency_names(escalation)
    )
    options = authority.moves_of(person, escalation)
    if not options.allows(Move.CLOSE) and not _is_stale_post(request, escalation):
        return _forbidden(request, options.refusal(Move.CLOSE), outstanding)
    form = forms.CloseForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.close_escalation(
                escalation=escalation, actor=person, revision=form.cleaned_data["revision"]
            )
            return _done(request, escalation, "Escalation closed")
    return _action_page(
        request, person, escalation, "close.html", form, move=Move.CLOSE, outstanding=outstanding
    )


@for_person
def reopen(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.REOPEN):
        return refused
    following = escalation.policy.rules.next_after(escalation.stage_number)
    form = forms.ReopenForm(
        _posted(request),
        initial=_revision_initial(escalation),
        stage_number=escalation.stage_number,
        next_stage=f"stage {following.number}, {following.name}" if following else None,
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            escalation = services.reopen_escalation(
                escalation=escalation,
                actor=person,
                reason=form.cleaned_data["reason"],
                to_next_stage=form.to_next_stage,
                revision=form.cleaned_data["revision"],
            )
            return _done(
                request, escalation, f"Escalation reopened at stage {escalation.stage_number}"
            )
    return _action_page(
        request,
        person,
        escalation,
        "reopen.html",
        form,
        move=Move.REOPEN,
        not_done=presenters.not_done_actions(selectors.not_done_actions(escalation)),
        is_final=following is None,
    )


@for_person
def add_agency(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.ADD_AGENCY):
        return refused
    agencies = selectors.agencies_to_add(escalation)
    form = forms.AddPartyForm(
        _posted(request),
        initial=_revision_initial(escalation),
        agencies=agencies,
        people=selectors.people_in_agencies(agencies),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        with refusals_shown_on(form, escalation):
            party = services.add_party(
                escalation=escalation,
                actor=person,
                agency=data["agency"],
                side=moves.Side(data["side"]),
                practitioner=data["practitioner"],
                revision=data["revision"],
            )
            return _done(request, escalation, f"{party.agency.name} added to the disagreement")
    return _action_page(request, person, escalation, "add_agency.html", form, move=Move.ADD_AGENCY)


@for_person
def lead_agency(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.SET_LEAD_AGENCY):
        return refused
    lead = authority.case_of(escalation).lead_agency_id
    form = forms.LeadAgencyForm(
        _posted(request),
        initial=_revision_initial(escalation, agency=lead),
        agencies=selectors.party_agencies(escalation),
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.set_lead_agency(
                escalation=escalation,
                actor=person,
                agency=form.cleaned_data["agency"],
                revision=form.cleaned_data["revision"],
            )
            return _done(
                request, escalation, f"{form.cleaned_data['agency'].name} is the lead agency"
            )
    return _action_page(
        request, person, escalation, "lead_agency.html", form, move=Move.SET_LEAD_AGENCY
    )


@for_person
def new_representation(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.ADD_REPRESENTATION):
        return refused
    form = forms.RepresentationForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.submit_representation(
                escalation=escalation,
                actor=person,
                text=form.cleaned_data["text"],
                revision=form.cleaned_data["revision"],
            )
            return _done(request, escalation, "Written representation submitted")
    return _action_page(
        request, person, escalation, "representation.html", form, move=Move.ADD_REPRESENTATION
    )


# --- The final stage: the panel, the meeting's chair, the decision -----------------------


def _appointees_from(escalation: Escalation) -> Any:
    final = escalation.policy.rules.final_stage.final
    return final.appointees_from if final is not None else ()


@for_person
def panel(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.APPOINT_PANEL_MEMBER):
        return refused
    form = forms.PanelMemberForm(
        _posted(request),
        initial=_revision_initial(escalation),
        people=selectors.people_holding(
            escalation.partnership_id, _appointees_from(escalation), besides=person
        ).exclude(pk__in=selectors.appointed(escalation, Appointment.Role.PANEL_MEMBER)),
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.add_panel_member(
                escalation=escalation,
                actor=person,
                member=form.cleaned_data["member"],
                revision=form.cleaned_data["revision"],
            )
            messages.success(request, f"{form.cleaned_data['member'].name} appointed to the panel")
            return redirect("escalations:panel", pk=escalation.pk)
    options = authority.moves_of(person, escalation)
    return _action_page(
        request,
        person,
        escalation,
        "panel.html",
        form,
        move=Move.APPOINT_PANEL_MEMBER,
        panel=presenters.panel_view(
            selectors.appointments(escalation),
            services.check_panel(escalation),
            reason=escalation.panel_reason,
        ),
        remove_url=reverse("escalations:panel_remove", kwargs={"pk": escalation.pk})
        if options.allows(Move.REMOVE_PANEL_MEMBER)
        else "",
        reason_url=reverse("escalations:panel_reason", kwargs={"pk": escalation.pk})
        if options.allows(Move.EXPLAIN_PANEL)
        else "",
    )


@for_person
def panel_remove(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.REMOVE_PANEL_MEMBER):
        return refused
    form = forms.RemovePanelMemberForm(
        _posted(request),
        initial=_revision_initial(escalation),
        members=selectors.appointed(escalation, Appointment.Role.PANEL_MEMBER),
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.remove_panel_member(
                escalation=escalation,
                actor=person,
                member=form.cleaned_data["member"],
                revision=form.cleaned_data["revision"],
            )
            messages.success(request, f"{form.cleaned_data['member'].name} left the panel")
            return redirect("escalations:panel", pk=escalation.pk)
    return _action_page(
        request, person, escalation, "panel_remove.html", form, move=Move.REMOVE_PANEL_MEMBER
    )


@for_person
def panel_reason(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.EXPLAIN_PANEL):
        return refused
    form = forms.PanelReasonForm(
        _posted(request), initial=_revision_initial(escalation, reason=escalation.panel_reason)
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.record_panel_reason(
                escalation=escalation,
                actor=person,
                reason=form.cleaned_data["reason"],
                revision=form.cleaned_data["revision"],
            )
            messages.success(request, "Reason recorded")
            return redirect("escalations:panel", pk=escalation.pk)
    return _action_page(
        request, person, escalation, "panel_reason.html", form, move=Move.EXPLAIN_PANEL
    )


@for_person
def meeting_chair(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.APPOINT_CHAIR):
        return refused
    form = forms.MeetingChairForm(
        _posted(request),
        initial=_revision_initial(escalation),
        people=selectors.people_holding(
            escalation.partnership_id, _appointees_from(escalation), besides=person
        ).exclude(agency__in=selectors.party_agencies(escalation)),
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.appoint_meeting_chair(
                escalation=escalation,
                actor=person,
                chair=form.cleaned_data["chair"],
                revision=form.cleaned_data["revision"],
            )
            return _done(
                request, escalation, f"{form.cleaned_data['chair'].name} will chair the meeting"
            )
    chairs = selectors.appointed(escalation, Appointment.Role.MEETING_CHAIR)
    return _action_page(
        request,
        person,
        escalation,
        "meeting_chair.html",
        form,
        move=Move.APPOINT_CHAIR,
        current=[presenters.person_status(chair) for chair in chairs],
    )


@for_person
def decision(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    if refused := _refused(request, person, escalation, Move.RECORD_DECISION):
        return refused
    form = forms.FinalDecisionForm(
        _posted(request),
        initial=_revision_initial(escalation),
        kinds=presenters.decision_kinds(escalation, person),
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.record_final_decision(
                escalation=escalation,
                actor=person,
                revision=form.cleaned_data["revision"],
                **form.service_arguments(),
            )
            return _done(request, escalation, "Final decision recorded")
    return _action_page(
        request, person, escalation, "decision.html", form, move=Move.RECORD_DECISION
    )

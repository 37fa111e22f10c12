"""The practitioners' and managers' pages: parse, fetch through access, call one service, render.

Every page works without JavaScript. Each action posts the ``revision`` its page was
drawn from, so a change made meanwhile by someone else is refused, not overwritten.
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
from escalate.audit.reads import reads_of, record_read
from escalate.domain import engine
from escalate.domain.access import Action
from escalate.domain.policy import ChecklistItem, FinalStageKind, PolicyRules
from escalate.escalations import clock, forms, presenters, selectors, services
from escalate.escalations.access import ActionForbidden, get_for
from escalate.escalations.models import AgreedAction, Escalation
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


def _forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "escalations/forbidden.html", {"reason": reason}, status=403)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@contextmanager
def refusals_shown_on(
    form: forms.GovukForm, escalation: Escalation | None = None
) -> Iterator[None]:
    """Turn a refused or stale change into a form error; the person's input stays."""
    try:
        yield
    except services.StaleEscalation as stale:
        if escalation is not None:
            data = form.data.copy()  # type: ignore[attr-defined]
            data["revision"] = str(selectors.current_revision(escalation))
            form.data = data
        form.add_error(None, str(stale))
    except engine.TransitionRefused as refused:
        form.add_error(None, str(refused))


def _done(request: HttpRequest, escalation: Escalation, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(escalation.get_absolute_url())


# --- The list and the detail page --------------------------------------------------------


@for_person
def my_escalations(request: HttpRequest, person: Person) -> HttpResponse:
    escalations = list(selectors.escalations_listed_for(person))
    rows = presenters.escalation_rows(
        escalations,
        person=person,
        rules_by_policy=selectors.policy_rules_by_id(e.policy_id for e in escalations),
        today=clock.local_today(),
    )
    return render(
        request,
        "escalations/mine.html",
        {"rows": rows, "can_raise": person.agency_id is not None, "nav": "mine"},
    )


@for_person
def escalation_detail(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    record_read(request, what=ReadEvent.What.ESCALATION, escalation=escalation)
    page = presenters.escalation_page(
        selectors.escalation_record(escalation), person=person, today=clock.local_today()
    )
    seen_by = presenters.seen_by(reads_of(escalation), escalation=escalation, person=person)
    return render(
        request, "escalations/detail.html", {"page": page, "seen_by": seen_by, "nav": "mine"}
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
            )
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


def _action_page(
    request: HttpRequest,
    escalation: Escalation,
    template: str,
    form: forms.GovukForm,
    formset: Any = None,
    **context: Any,
) -> HttpResponse:
    return render(
        request,
        f"escalations/actions/{template}",
        {
            "escalation": presenters.escalation_heading(escalation),
            "form": presenters.form_view(form, formset),
            **context,
        },
    )


def _revision_initial(escalation: Escalation) -> dict[str, Any]:
    return {"revision": escalation.revision}


@for_person
def record_contact(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
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
    return _action_page(request, escalation, "contact.html", form)


@for_person
def escalate_to_next_stage(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
    form = forms.ReasonForm(
        _posted(request),
        initial=_revision_initial(escalation),
        label="Why does this need to go to the next stage?",
        required_message="Enter why this needs to go to the next stage",
        hint="Say what was tried at this stage and why it did not resolve the disagreement.",
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
    preview = presenters.next_stage_preview(escalation, today=clock.local_today())
    return _action_page(request, escalation, "escalate.html", form, preview=preview)


@for_person
def withdraw(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
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
    return _action_page(request, escalation, "withdraw.html", form)


@for_person
def resolve(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
    form = forms.ResolveForm(_posted(request), initial=_revision_initial(escalation))
    formset = forms.AgreedActionFormSet(
        _posted(request),
        prefix="actions",
        form_kwargs={"owners": selectors.directory_people(escalation.partnership)},
    )
    if form.is_bound and all([form.is_valid(), formset.is_valid()]):
        with refusals_shown_on(form, escalation):
            services.resolve_escalation(
                escalation=escalation,
                actor=person,
                agreed_outcome=form.cleaned_data["agreed_outcome"],
                actions=[
                    services.AgreedActionDetails(**row) for row in forms.agreed_actions(formset)
                ],
                revision=form.cleaned_data["revision"],
            )
            return _done(request, escalation, "Escalation resolved")
    return _action_page(request, escalation, "resolve.html", form, formset)


def _agreed_action(escalation: Escalation, action_id: int) -> AgreedAction:
    return get_object_or_404(
        AgreedAction.objects.select_related("owner__agency"), pk=action_id, escalation=escalation
    )


@for_person
def confirm_action(request: HttpRequest, person: Person, pk: UUID, action_id: int) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
    action = _agreed_action(escalation, action_id)
    form = forms.ConfirmForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.confirm_understanding(
                action=action, actor=person, revision=form.cleaned_data["revision"]
            )
            return _done(request, escalation, "Shared understanding confirmed")
    return _action_page(
        request,
        escalation,
        "confirm_action.html",
        form,
        action=presenters.agreed_action_summary(action),
    )


@for_person
def check_back_action(
    request: HttpRequest, person: Person, pk: UUID, action_id: int
) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
    action = _agreed_action(escalation, action_id)
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
        escalation,
        "check_back.html",
        form,
        action=presenters.agreed_action_summary(action),
    )


@for_person
def checklist_item(request: HttpRequest, person: Person, pk: UUID, item: str) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
    try:
        checklist_entry = ChecklistItem(item)
    except ValueError:
        raise Http404("No such checklist item.") from None
    if checklist_entry not in services.checklist_for(escalation):
        raise Http404("That item is not on this stage's checklist.")
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
    return _action_page(request, escalation, "checklist_item.html", form)


@for_person
def close(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
    form = forms.CloseForm(_posted(request), initial=_revision_initial(escalation))
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.close_escalation(
                escalation=escalation, actor=person, revision=form.cleaned_data["revision"]
            )
            return _done(request, escalation, "Escalation closed")
    outstanding = presenters.checklist_labels(services.outstanding_checklist(escalation))
    return _action_page(request, escalation, "close.html", form, outstanding=outstanding)


@for_person
def new_representation(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
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
    return _action_page(request, escalation, "representation.html", form)


@for_person
def panel(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.ACT)
    if not presenters.offers_panel(escalation.policy.rules):
        raise Http404("This procedure's final stage has no resolution panel.")
    form = forms.PanelMemberForm(
        _posted(request),
        initial=_revision_initial(escalation),
        people=selectors.directory_people(escalation.partnership),
    )
    if form.is_bound and form.is_valid():
        with refusals_shown_on(form, escalation):
            services.add_panel_member(
                escalation=escalation,
                actor=person,
                member=form.cleaned_data["member"],
                revision=form.cleaned_data["revision"],
            )
            messages.success(request, f"{form.cleaned_data['member'].name} added to the panel")
            return redirect("escalations:panel", pk=escalation.pk)
    return _action_page(
        request,
        escalation,
        "panel.html",
        form,
        panel=presenters.panel_view(
            selectors.panel_members(escalation), services.check_panel(escalation)
        ),
    )


@for_person
def decision(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk), Action.DECIDE)
    final = escalation.policy.rules.final_stage.final
    if final is None:
        raise Http404("This procedure's final stage records no decision.")
    uninvolved = FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING in final.decided_by
    form = forms.FinalDecisionForm(
        _posted(request),
        initial=_revision_initial(escalation),
        kinds=final.decided_by,
        chairing_agencies=selectors.uninvolved_agencies(escalation) if uninvolved else None,
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
    return _action_page(request, escalation, "decision.html", form)

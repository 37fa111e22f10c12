"""Correcting a recorded contact or final decision, with why (decision 0025).

Who may correct is the stage machine's answer (``moves.correction_refusal``); anyone else
who sees the escalation gets the 403 page with its sentence, and the form is never drawn
for them. The form starts from the entry as it now reads; the service keeps the entry as
first recorded and the new version beside it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from escalate.escalations import authority, forms, presenters, services
from escalate.escalations.access import get_for
from escalate.escalations.models import (
    CONTACT_ANSWERS,
    Contact,
    ContactVersion,
    Escalation,
    FinalDecision,
)
from escalate.escalations.views import _done, _forbidden, _posted, for_person, refusals_shown_on
from escalate.organisations.models import Person


def _contact_of(escalation: Escalation, contact_id: int) -> Contact:
    contact = (
        Contact.objects.select_related("recorded_by", "latest_correction")
        .filter(escalation=escalation, pk=contact_id)
        .first()
    )
    if contact is None:
        raise Http404("No such contact on this escalation")
    return contact


def _decision_of(escalation: Escalation, decision_id: int) -> FinalDecision:
    decision = (
        FinalDecision.objects.select_related("decided_by", "latest_correction")
        .filter(escalation=escalation, pk=decision_id)
        .first()
    )
    if decision is None:
        raise Http404("No such decision on this escalation")
    return decision


@for_person
def correct_contact(
    request: HttpRequest, person: Person, pk: UUID, contact_id: int
) -> HttpResponse:
    escalation = get_for(person, str(pk))
    contact = _contact_of(escalation, contact_id)
    refusal = authority.correction_refusal_for(person, escalation, contact.recorded_by)
    if refusal:
        return _forbidden(request, refusal, escalation=escalation)
    form = forms.ContactCorrectionForm(
        _posted(request),
        initial={
            "revision": escalation.revision,
            **{name: getattr(contact.current, name) for name in CONTACT_ANSWERS},
        },
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        with refusals_shown_on(form, escalation):
            services.correct_contact(
                contact=contact,
                actor=person,
                version=ContactVersion(
                    kind=data["kind"],
                    between=data["between"],
                    summary=data["summary"],
                    outcome=data["outcome"],
                    decision_makers=data["decision_makers"],
                    happened_on=data["happened_on"],
                ),
                reason=data["reason"],
                revision=data["revision"],
            )
            return _done(request, escalation, "Contact corrected")
    return _page(request, escalation, "correct_contact.html", form, contact=contact)


@for_person
def correct_decision(
    request: HttpRequest, person: Person, pk: UUID, decision_id: int
) -> HttpResponse:
    escalation = get_for(person, str(pk))
    decision = _decision_of(escalation, decision_id)
    refusal = authority.correction_refusal_for(person, escalation, decision.decided_by)
    if refusal:
        return _forbidden(request, refusal, escalation=escalation)
    form = forms.DecisionCorrectionForm(
        _posted(request),
        initial={"revision": escalation.revision, "decision": decision.current_decision},
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        with refusals_shown_on(form, escalation):
            services.correct_decision(
                decision=decision,
                actor=person,
                text=data["decision"],
                reason=data["reason"],
                revision=data["revision"],
            )
            return _done(request, escalation, "Decision corrected")
    return _page(request, escalation, "correct_decision.html", form, decision=decision)


def _page(
    request: HttpRequest,
    escalation: Escalation,
    template: str,
    form: forms.GovukForm,
    **context: Any,
) -> HttpResponse:
    return render(
        request,
        f"escalations/actions/{template}",
        {
            "escalation": presenters.escalation_heading(escalation),
            "form": presenters.form_view(form),
            **context,
        },
    )

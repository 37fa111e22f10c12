from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from escalate.escalations.access import escalations_visible_to, get_for


@login_required
def my_escalations(request: HttpRequest) -> HttpResponse:
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No directory entry for this account.")
    escalations = escalations_visible_to(person).select_related("raising_agency", "other_agency")
    return render(request, "escalations/mine.html", {"escalations": escalations})


@login_required
def escalation_detail(request: HttpRequest, pk: str) -> HttpResponse:
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No such escalation.")
    escalation = get_for(person, pk)
    return render(request, "escalations/detail.html", {"escalation": escalation})

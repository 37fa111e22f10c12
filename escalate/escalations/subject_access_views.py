from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.common.text import search_problem
from escalate.escalations.models import Subject
from escalate.escalations.subject_access import (
    find_subjects,
    partnerships_for_data_protection,
    subject_export,
)
from escalate.organisations.models import Person


def _officer(request: HttpRequest) -> Person:
    person: Person | None = getattr(request, "person", None)
    if person is None or not partnerships_for_data_protection(person).exists():
        raise Http404("Not found.")
    return person


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    person = _officer(request)
    query = request.GET.get("q", "")
    search_error = search_problem(query.strip())
    subjects = find_subjects(person, query="" if search_error else query)[:50]
    return render(
        request,
        "escalations/subject_access.html",
        {
            "query": "" if search_error else query,
            "typed_query": query.replace("\x00", ""),
            "subjects": subjects,
            "search_error": search_error,
            "errors": [{"text": search_error, "href": "#q"}] if search_error else [],
        },
    )


@login_required
@require_GET
def export(request: HttpRequest, pk: int) -> HttpResponse:
    person = _officer(request)
    subject = Subject.objects.filter(
        pk=pk, partnership__in=partnerships_for_data_protection(person)
    ).first()
    if subject is None:
        raise Http404("Not found.")
    record_read(request, what=ReadEvent.What.SUBJECT_ACCESS_EXPORT, detail=f"subject {subject.pk}")
    body = json.dumps(subject_export(subject), cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"subject-access-{subject.pk}.json"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    add_never_cache_headers(response)
    return response

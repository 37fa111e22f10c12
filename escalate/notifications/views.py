"""The in-app notifications list for everyone signed in, and the failed-deliveries screen.

Parse, fetch through a selector, call one service, render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from escalate.notifications import delivery, selectors, services
from escalate.notifications.models import NotificationPreference
from escalate.organisations.models import Person

PAGE_SIZE = 25
PersonView = Callable[..., HttpResponse]


def signed_in_person(view: PersonView) -> PersonView:
    """Signed in with a directory entry; anyone else finds no such page."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = getattr(request, "person", None)
        if person is None:
            raise Http404("No such page.")
        return view(request, person, *args, **kwargs)

    return wrapped


def administrator(view: PersonView) -> PersonView:
    @signed_in_person
    @wraps(view)
    def wrapped(request: HttpRequest, person: Person, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.may_see_failed_deliveries(person):
            raise Http404("No such page.")
        return view(request, person, *args, **kwargs)

    return wrapped


@require_GET
@signed_in_person
def notification_list(request: HttpRequest, person: Person) -> HttpResponse:
    page = Paginator(selectors.inbox_for(person), PAGE_SIZE).get_page(request.GET.get("page"))
    preference = NotificationPreference.objects.filter(person=person).first()
    return render(
        request,
        "notifications/list.html",
        {
            "rows": selectors.inbox_rows(list(page.object_list)),
            "page": page,
            "daily_digest": bool(preference and preference.daily_digest),
            "nav": "notifications",
        },
    )


@require_POST
@signed_in_person
def mark_read(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    services.mark_read(person=person, notification_ids=[pk])
    return redirect("notifications:list")


@require_POST
@signed_in_person
def mark_all_read(request: HttpRequest, person: Person) -> HttpResponse:
    count = services.mark_read(person=person)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications:list")


@require_POST
@signed_in_person
def preferences(request: HttpRequest, person: Person) -> HttpResponse:
    daily_digest = request.POST.get("daily_digest") == "yes"
    services.set_daily_digest(person=person, daily_digest=daily_digest)
    messages.success(
        request,
        "You will get one digest email a day; urgent notifications still come at once."
        if daily_digest
        else "You will get each notification by email as it happens.",
    )
    return redirect("notifications:list")


@require_GET
@administrator
def failed_deliveries(request: HttpRequest, person: Person) -> HttpResponse:
    page = Paginator(selectors.failed_deliveries_for(person), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/failed.html",
        {"rows": selectors.failed_rows(list(page.object_list)), "page": page},
    )


@require_POST
@administrator
def retry(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    notification = get_object_or_404(selectors.failed_deliveries_for(person), pk=pk)
    if delivery.retry_failed(notification):
        messages.success(request, "The notification is queued to be sent again.")
    return redirect("notifications:failed")

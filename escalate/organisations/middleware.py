from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from escalate.organisations.models import Person


class CurrentPersonMiddleware:
    """Sets ``request.person``: the signed-in user's directory entry, read fresh each request.

    Reading it on every request is what makes a leaver or mover lose access at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person = None
        if request.user.is_authenticated:
            person = (
                Person.objects.select_related("user", "agency", "agency__partnership")
                .filter(user_id=request.user.pk)
                .first()
            )
            if person is not None and not person.is_active:
                logout(request)  # a leaver: their session ends with this request
                return redirect(settings.LOGIN_URL_PATH)
        request.person = person  # type: ignore[attr-defined]
        return self.get_response(request)

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from escalate.common.second_factor import device_annotations
from escalate.domain.policy import PartnershipRole
from escalate.organisations.models import Person


class CurrentPersonMiddleware:
    """Sets ``request.person``: the signed-in user's directory entry, read fresh each request.

    Reading it on every request is what makes a leaver or mover lose access at once. One
    query reads the person, their agency, their partnership roles (kept for this request
    only, see ``Person.request_roles``) and their second factor's state (for
    ``SecondFactorMiddleware``, which must come after this one).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person = None
        if request.user.is_authenticated:
            person = signed_in_person(request)
            if person is not None and not person.is_active:
                logout(request)  # a leaver: their session ends with this request
                return redirect(settings.LOGIN_URL_PATH)
        request.person = person  # type: ignore[attr-defined]
        return self.get_response(request)


def signed_in_person(request: HttpRequest) -> Person | None:
    """The person signed in on ``request``, or None; one query, whatever their roles.

    The roles come by a left join, so the person's row repeats once per role (a handful at
    most): that works alike on SQLite and PostgreSQL, where an aggregate into a list does not.
    """
    user_id = request.user.pk
    assert user_id is not None, "only asked for a signed-in user"
    rows = list(
        Person.objects.select_related("user", "agency", "agency__partnership")
        .filter(user_id=user_id)
        .annotate(
            role_partnership_id=F("partnership_roles__partnership_id"),
            role_name=F("partnership_roles__role"),
            role_partnership_name=F("partnership_roles__partnership__name"),
            **device_annotations(request.session),
        )
        .order_by()
    )
    if not rows:
        return None
    person = rows[0]
    person.request_roles = frozenset(
        (row.role_partnership_id, PartnershipRole(row.role_name))  # type: ignore[attr-defined]
        for row in rows
        if row.role_name  # type: ignore[attr-defined]  # the annotations above
    )
    person.request_partnership_names = {
        row.role_partnership_id: row.role_partnership_name  # type: ignore[attr-defined]
        for row in rows
        if row.role_name  # type: ignore[attr-defined]
    }
    return person

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from escalate.common.second_factor import device_annotations
from escalate.domain.policy import LadderRole, PartnershipRole
from escalate.organisations.models import OtherPlace, Person


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


CURRENT_PLACE_KEY = "escalate_current_place"
"""The session's choice among the account's places (a ``Person`` id); see ``switch_place``."""


def signed_in_person(request: HttpRequest) -> Person | None:
    """The place the signed-in account works in on ``request``, or None; one query, whatever
    their places and roles.

    The session's chosen place if it is still theirs, else their first active place. The
    roles come by a left join, so each place's row repeats once per role (a handful at
    most): that works alike on SQLite and PostgreSQL, where an aggregate into a list does
    not. Roles are the account's, from every active place (``organisations.models.
    account_roles``); agency, rung and involvement are the chosen place's.
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
        .order_by("pk")
    )
    if not rows:
        return None
    places = {row.pk: row for row in rows}
    person = _chosen_place(request, places)
    held = [row for row in rows if row.is_active and row.role_name]  # type: ignore[attr-defined]
    person.request_roles = frozenset(
        (row.role_partnership_id, PartnershipRole(row.role_name))  # type: ignore[attr-defined]
        for row in held
    )
    person.request_partnership_names = {
        row.role_partnership_id: row.role_partnership_name  # type: ignore[attr-defined]
        for row in held
    }
    active = [place for place in places.values() if place.is_active]
    person.request_other_places = [
        OtherPlace(person_id=place.pk, label=place.place())
        for place in active
        if place.pk != person.pk
    ]
    ended = [place.sessions_revoked_at for place in places.values() if place.sessions_revoked_at]
    person.request_sessions_revoked_at = max(ended, default=None)
    person.request_needs_second_factor = bool(held) or any(
        place.ladder_role and place.ladder_role != LadderRole.PRACTITIONER for place in active
    )
    return person


def _chosen_place(request: HttpRequest, places: dict[int, Person]) -> Person:
    """The session's place even if it has become inactive (so that session ends, as a
    leaver's does), else the first active place, else the first place."""
    chosen = request.session.get(CURRENT_PLACE_KEY)
    if isinstance(chosen, int) and chosen in places:
        return places[chosen]
    first_active = next((place for place in places.values() if place.is_active), None)
    return first_active or next(iter(places.values()))

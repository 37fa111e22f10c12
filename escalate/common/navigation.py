"""Which role-specific pages a signed-in person's navigation links to.

The links are a convenience, never the rule: each of those pages checks access afresh and
answers 404 to anyone else. So the answer is worked out when someone signs in, kept in
their session, and worked out again after ``FRESH_SECONDS``, rather than asked of the
database on every page. Someone given a role sees its link within that time; someone who
lost one meanwhile follows it to a 404.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from escalate.board.figures import board_partnership_ids
from escalate.escalations.subject_access import partnerships_for_data_protection
from escalate.organisations.models import Person
from escalate.organisations.selectors import administered_partnerships
from escalate.reporting.selectors import overseen_partnership_ids

SESSION_KEY = "escalate_navigation"
FRESH_SECONDS = 5 * 60


@dataclass(frozen=True)
class NavigationLinks:
    directory: bool = False
    """Administrators (and superusers): the directory of agencies and people."""
    register: bool = False
    """Business managers and chairs: the partnership's register."""
    board: bool = False
    """Business managers, chairs, the executive and the scrutineer: the board's dashboard."""
    subject_access: bool = False
    """Data protection officers: subject access requests."""


def links_for(request: HttpRequest) -> NavigationLinks:
    """The links for the signed-in person, from their session while it is fresh."""
    user = request.user
    if not user.is_authenticated:
        return NavigationLinks()
    person: Person | None = getattr(request, "person", None)
    kept = request.session.get(SESSION_KEY)
    if (
        isinstance(kept, dict)
        and kept.get("owner") == _owner(user, person)
        and _now() - float(kept.get("at", 0)) < FRESH_SECONDS
    ):
        return NavigationLinks(**kept["links"])
    return remember_links(request, user, person)


def remember_links(
    request: HttpRequest, user: AbstractBaseUser | AnonymousUser, person: Person | None
) -> NavigationLinks:
    links = NavigationLinks(
        directory=administered_partnerships(user, person).exists(),
        register=person is not None and bool(overseen_partnership_ids(person)),
        board=person is not None and bool(board_partnership_ids(person)),
        subject_access=person is not None and partnerships_for_data_protection(person).exists(),
    )
    request.session[SESSION_KEY] = {
        "owner": _owner(user, person),
        "at": _now(),
        "links": asdict(links),
    }
    return links


def on_sign_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **_: Any) -> None:
    """Work the links out at sign-in, so pages need not ask."""
    if request is None or not hasattr(request, "session"):
        return
    person = Person.objects.select_related("user").filter(user_id=user.pk).first()
    remember_links(request, user, person)


def _now() -> float:
    return time.time()


def _owner(user: AbstractBaseUser | AnonymousUser, person: Person | None) -> list[Any]:
    return [user.pk, person.pk if person is not None else None]

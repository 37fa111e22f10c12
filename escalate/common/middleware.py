"""Session lifetime and caching rules for signed-in pages."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

SIGNED_IN_AT = "escalate_signed_in_at"
LAST_SEEN_AT = "escalate_last_seen_at"
LAST_SEEN_PRECISION = 60
"""Seconds: the last-seen time is written at most this often, as each write is an UPDATE and
a COMMIT of the session row. The idle timeout may so end a session up to this much early."""


def _session_expired(request: HttpRequest, now: float) -> bool:
    session = request.session
    signed_in_at = session.setdefault(SIGNED_IN_AT, now)
    last_seen_at = session.get(LAST_SEEN_AT, now)
    idle_limit = settings.ESCALATE_SESSION_IDLE_SECONDS
    absolute_limit = settings.ESCALATE_SESSION_ABSOLUTE_SECONDS
    if now - last_seen_at > idle_limit or now - signed_in_at > absolute_limit:
        return True
    person = getattr(request, "person", None)
    revoked_at = person.sessions_ended_at() if person is not None else None
    return revoked_at is not None and signed_in_at < revoked_at.timestamp()


def _note_seen(request: HttpRequest, now: float) -> None:
    # Never coarser than half the idle limit, so a session in use is never taken for idle.
    precision = min(LAST_SEEN_PRECISION, settings.ESCALATE_SESSION_IDLE_SECONDS / 2)
    last_seen_at = request.session.get(LAST_SEEN_AT)
    if last_seen_at is None or now - last_seen_at >= precision:
        request.session[LAST_SEEN_AT] = now


class SessionLifetimeMiddleware:
    """Signs people out after a period idle, after a fixed time, or after 'sign out everywhere'.

    Runs after ``CurrentPersonMiddleware`` so a revoked session is ended on its next request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            if _session_expired(request, now):
                logout(request)
                return redirect(f"{settings.LOGIN_URL_PATH}?expired=1")
            _note_seen(request, now)
        return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """Pages shown to a signed-in person may name a child: never keep them in a cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response

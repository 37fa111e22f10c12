"""``Idempotency-Key`` on POST: a retried request gets the first response, not a second change.

The key is remembered per person with a hash of the request (method, path, body) and
the first successful response. The same key with the same request replays that
response (with ``Idempotent-Replayed: true``); with a different request it is refused
with 422. Failed requests change nothing, so they are not remembered: retrying one
simply runs it again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api.models import IdempotencyRecord
from escalate.api.problems import IdempotencyKeyReused, InvalidParameters
from escalate.organisations.models import Person

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)
_REPLAYED_HEADERS = ("Location", "ETag")


def _window() -> timedelta:
    return timedelta(hours=settings.ESCALATE_API_IDEMPOTENCY_HOURS)


def _fingerprint(request: Request) -> str:
    text = json.dumps(
        {"method": request.method, "path": request.path, "body": request.data},
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise InvalidParameters(
            {HEADER: ["Use 1 to 255 visible ASCII characters, such as a UUID."]},
            location="header",
        )
    return key


def idempotent(request: Request, perform: Callable[[], Response]) -> Response:
    """Run ``perform`` once per key; replay its response for a retry of the same request."""
    key = idempotency_key(request)
    if key is None:
        return perform()
    person: Person = request.person  # type: ignore[attr-defined]
    fingerprint = _fingerprint(request)
    earlier = _remembered(person, key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    try:
        with transaction.atomic():
            response = perform()
            if 200 <= response.status_code < 300:
                _remember(request, person, key, fingerprint, response)
    except IntegrityError:
        # The same key arrived twice at once: the first to commit won, this one rolled back.
        earlier = _remembered(person, key)
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)
    return response


def _remembered(person: Person, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        person=person, key=key, created_at__gte=timezone.now() - _window()
    ).first()


def _remember(
    request: Request, person: Person, key: str, fingerprint: str, response: Response
) -> None:
    _forget_expired()
    body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
    IdempotencyRecord.objects.create(
        person=person,
        key=key,
        request_sha256=fingerprint,
        method=request.method or "",
        path=request.path[:300],
        status_code=response.status_code,
        response_body=body,
        response_headers={name: response[name] for name in _REPLAYED_HEADERS if name in response},
    )


EXPIRED_PER_REQUEST = 100
"""Each write clears up to this many expired keys: their bodies name the child, so none
outlives its window for long, and no write pays for a backlog."""


def _forget_expired() -> None:
    """Delete keys past their window, skipping any another write is deleting.

    Deleted outright, two writes that found the same expired keys queued one behind the
    other until the first committed, whichever partnerships they were in.
    """
    expired = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - _window())
    if connection.features.has_select_for_update_skip_locked:
        expired = expired.select_for_update(skip_locked=True)
    ids = list(expired.order_by("created_at").values_list("pk", flat=True)[:EXPIRED_PER_REQUEST])
    if ids:
        IdempotencyRecord.objects.filter(pk__in=ids).delete()


def _replay(earlier: IdempotencyRecord, fingerprint: str) -> Response:
    if earlier.request_sha256 != fingerprint:
        raise IdempotencyKeyReused()
    headers = {**earlier.response_headers, "Idempotent-Replayed": "true"}
    return Response(earlier.response_body, status=earlier.status_code, headers=headers)

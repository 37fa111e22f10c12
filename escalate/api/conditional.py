"""ETags on reads and ``If-Match`` on changes, so nobody overwrites a change they never saw.

An escalation's ETag is its ``revision``, which every service bumps. A change must send
``If-Match`` with the ETag it last read: without it the answer is 428; with a different
one the service refuses the change and the answer is 412.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api.problems import PreconditionFailed, PreconditionRequired

IF_MATCH_PATTERN = r"^\s*(?!\*\s*$)\S.*$"
"""What answers other than 428: anything but nothing or ``*``; a tag that names no
current revision is then 412."""
_STRONG_TAG = re.compile(r'^"([^"]*)"$')
_REVISION = re.compile(r"^[0-9]{1,9}$")


def revision_etag(revision: int) -> str:
    return f'"{revision}"'


def content_etag(data: Any) -> str:
    """An ETag for a resource without a revision: a hash of its representation."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def with_etag(response: Response, etag: str) -> Response:
    response["ETag"] = etag
    return response


def _if_match_tags(request: Request) -> list[str]:
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    tags = []
    for part in header.split(","):
        found = _STRONG_TAG.match(part.strip())
        if found is not None:
            tags.append(found.group(1))
    return tags


def required_revision(request: Request, *, current: int) -> int:
    """The revision the caller last read, from ``If-Match``, for the service to check.

    Raises ``PreconditionRequired`` (428) without one. An If-Match that names no
    revision gives 0, which no escalation has: the service then refuses it (412), after
    the request itself has been checked.
    """
    revisions = [int(tag) for tag in _if_match_tags(request) if _REVISION.match(tag)]
    if not revisions:
        return 0
    return current if current in revisions else revisions[0]


def require_matching(request: Request, *, current_etag: str) -> None:
    """For resources without a revision: ``If-Match`` must name the current ETag."""
    tags = _if_match_tags(request)
    if current_etag.strip('"') not in tags:
        raise PreconditionFailed()

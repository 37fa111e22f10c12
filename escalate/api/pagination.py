"""Cursor pagination: ``next`` and ``previous`` links that stay right while rows are added.

A cursor that cannot be read is a 400 for the ``cursor`` parameter, not a 404.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api.problems import InvalidParameters

T = TypeVar("T")

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
_INVALID_CURSOR = "This cursor is not valid: follow the next and previous links as given."


class Cursor(CursorPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering: Any = ("-created_at", "-pk")

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, DjangoValidationError, DataError, ValueError, TypeError):
            # A forged position fails when the page is read: still the caller's mistake.
            raise InvalidParameters({"cursor": [_INVALID_CURSOR]}) from None

    def get_page_size(self, request: Request) -> int:
        return _page_size(request, default=self.page_size)


class OldestFirstCursor(Cursor):
    ordering = ("pk",)


class NewestUpdateFirstCursor(Cursor):
    ordering = ("-updated_at", "-pk")


class NameCursor(Cursor):
    ordering = ("name", "pk")


class IdCursor(Cursor):
    ordering = ("pk",)


class ListCursor(BasePagination):
    """Cursor pagination over a list already built and ordered by a selector (the register)."""

    page_size = PAGE_SIZE

    def paginate_list(self, rows: Sequence[T], request: Request) -> list[T]:
        self.request = request
        self.count = len(rows)
        self.size = _page_size(request, default=self.page_size)
        self.offset = _decode(request.query_params.get("cursor"))
        return list(rows[self.offset : self.offset + self.size])

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self._link(1), "previous": self._link(-1), "results": data})

    def _link(self, direction: int) -> str | None:
        offset = self.offset + direction * self.size
        if direction > 0 and offset >= self.count:
            return None
        if direction < 0 and self.offset == 0:
            return None
        params = self.request.query_params.copy()
        params["cursor"] = _encode(max(offset, 0))
        return self.request.build_absolute_uri(
            f"{self.request.path}?{urlencode(sorted(params.items()))}"
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return CursorPagination().get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return Cursor().get_schema_operation_parameters(view)


def _page_size(request: Request, *, default: int) -> int:
    text = request.query_params.get("page_size")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise InvalidParameters({"page_size": [f"Use a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(text)


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise InvalidParameters({"cursor": [_INVALID_CURSOR]}) from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidParameters({"cursor": [_INVALID_CURSOR]})
    return offset

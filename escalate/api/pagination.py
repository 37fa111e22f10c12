"""Cursor pagination: ``next`` and ``previous`` links that stay right while rows are added.

A cursor that cannot be read names no page: 404, with the ``cursor`` parameter named.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api.problems import InvalidParameters, UnknownCursor
from escalate.common.text import whole_number
from escalate.escalations.selectors import Page

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


class Cursor(CursorPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering: Any = ("-created_at", "-pk")

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        with reading_cursor():
            return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        return _page_size(request, default=self.page_size)

    def window(self, request: Request) -> Window:
        """The rows ``paginate_queryset`` will read for ``request``, described, so a view
        can narrow the queryset to candidates for them first."""
        try:
            cursor = self.decode_cursor(request)
        except NotFound:
            raise UnknownCursor() from None
        offset, reverse, position = cursor if cursor is not None else (0, False, None)
        return Window(
            order_field=self.ordering[0].lstrip("-"),
            descending=self.ordering[0].startswith("-") != reverse,
            after=None if position is None else str(position),
            rows=offset + self.get_page_size(request) + 1,
        )


@dataclass(frozen=True)
class Window:
    """Rows ordered by ``order_field`` (then id) in the direction read, strictly beyond the
    position ``after`` where there is one: the first ``rows`` of them."""

    order_field: str
    descending: bool
    after: str | None
    rows: int


@contextmanager
def reading_cursor() -> Iterator[None]:
    """A forged position fails only when rows are read with it: still the caller's mistake,
    so a 400 for the ``cursor`` parameter, wherever the rows are read."""
    try:
        yield
    except (NotFound, DjangoValidationError, DataError, ValueError, TypeError):
        raise UnknownCursor() from None


class OldestFirstCursor(Cursor):
    ordering = ("pk",)


class NewestUpdateFirstCursor(Cursor):
    ordering = ("-updated_at", "-pk")


class NameCursor(Cursor):
    ordering = ("name", "pk")


class IdCursor(Cursor):
    ordering = ("pk",)


class KeysetCursor(BasePagination):
    """Links to the neighbours of a page a selector read by keyset (``selectors.Page``,
    the register): the database reads the page's rows only, never the rows before it."""

    page_size = PAGE_SIZE

    def page_request(self, request: Request) -> tuple[str, int]:
        """The cursor and the page size asked for; a page size out of range is a 400."""
        self.request = request
        return request.query_params.get("cursor", ""), _page_size(request, default=self.page_size)

    @staticmethod
    def invalid_cursor() -> UnknownCursor:
        return UnknownCursor()

    def get_paginated_response(self, data: Any) -> Response:
        raise NotImplementedError("Use paginated_response(page, data).")

    def paginated_response(self, page: Page[Any], data: Any) -> Response:
        return Response(
            {
                "next": self._link(page.next_cursor),
                "previous": self._link(page.previous_cursor),
                "results": data,
            }
        )

    def _link(self, cursor: str) -> str | None:
        if not cursor:
            return None
        params = self.request.query_params.copy()
        params["cursor"] = cursor
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
    size = whole_number(text)
    if size is None or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidParameters({"page_size": [f"Use a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return size

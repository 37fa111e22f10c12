"""One URL, several operations: each HTTP method goes to its own operation class.

``by_method(get=EscalationListApi, post=EscalationRaiseApi)`` keeps one class per
operation (with its own serializers) while sharing a REST path. The OpenAPI generator
sees each operation class through ``split_operations``, a drf-spectacular hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView

from escalate.api.problems import PROBLEM_CONTENT_TYPE

Endpoint = tuple[str, str, str, Any]


def by_method(**operations: type[APIView]) -> Callable[..., HttpResponse]:
    callbacks = {method.upper(): cls.as_view() for method, cls in operations.items()}
    if "GET" in callbacks:
        callbacks.setdefault("HEAD", callbacks["GET"])
    allowed = ", ".join(sorted({*callbacks, "OPTIONS"} - {"HEAD"}))

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        callback = callbacks.get(request.method or "")
        if callback is None:
            response = HttpResponse(
                _method_not_allowed(request), status=405, content_type=PROBLEM_CONTENT_TYPE
            )
        else:
            response = callback(request, *args, **kwargs)
        response["Allow"] = allowed
        return response

    # The schema generator lists the methods from ``cls``, then ``split_operations`` swaps
    # in each method's own operation class.
    view.cls = type(  # type: ignore[attr-defined]
        "ByMethod", (APIView,), {method.lower(): _never for method in callbacks}
    )
    view.initkwargs = {}  # type: ignore[attr-defined]
    view.operations = callbacks  # type: ignore[attr-defined]
    return view


def _never(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - only listed, never called
    raise AssertionError("by_method dispatches to the operation classes")


def _method_not_allowed(request: HttpRequest) -> str:
    import json

    return json.dumps(
        {
            "type": "about:blank",
            "title": "Method Not Allowed",
            "status": 405,
            "detail": f'Method "{request.method}" not allowed.',
            "instance": request.path,
        }
    )


def split_operations(endpoints: list[Endpoint], **kwargs: Any) -> list[Endpoint]:
    """drf-spectacular preprocessing hook: one endpoint per operation class."""
    return [
        (path, regex, method, getattr(callback, "operations", {}).get(method, callback))
        for path, regex, method, callback in endpoints
    ]

"""Schemathesis against the live OpenAPI document: every operation, positive and negative data.

The document is loaded from the running application (through WSGI, in this process and
this test's database), then each operation is called with generated requests. No
response may be a server error, and every response must match the document: its
status, content type, headers and body. Examples are limited so the run stays short.

Run alone with ``pytest -m api_fuzz``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from escalate.api.fields import NHS_NUMBER_FORMAT
from escalate.api.tests.conftest import API_URLS, World, token_for
from escalate.common.tests.figures import record_figure
from escalate.escalations.identifiers import nhs_check_digit
from escalate.organisations.models import PartnershipRoleAssignment

pytestmark = [pytest.mark.api_fuzz, pytest.mark.urls(API_URLS)]

CHECKS = [
    not_a_server_error,
    positive_data_acceptance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
]
MAX_EXAMPLES = int(os.environ.get("ESCALATE_FUZZ_EXAMPLES", "12"))
"""Per operation and mode; ``make fuzz`` runs many more than the suite does."""

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
        "checks": {
            # A missing If-Match is answered 428 Precondition Required, as RFC 6585 says.
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]
            },
            # A valid request may still meet a state that refuses it: besides the defaults'
            # 409 (the procedure or the directory refuses it now), an ETag read before the
            # last change (412) and an Idempotency-Key already spent on another body (422).
            # And a file's content, which no schema describes: too large (413), or not a
            # type that may be attached (415).
            "positive_data_acceptance": {
                "expected-statuses": [
                    *("2xx", "3xx", "401", "403", "404", "409"),
                    *("412", "413", "415", "422", "429"),
                ]
            },
        },
    }
)


def _nhs_numbers() -> st.SearchStrategy[str]:
    """Valid NHS numbers, as the ``nhs-number`` format says: nine digits and their check."""

    def numbered(first_nine: str) -> str | None:
        check = nhs_check_digit(first_nine)
        return None if check is None else f"{first_nine}{check}"

    digits = st.text("0123456789", min_size=9, max_size=9)
    return digits.map(numbered).filter(lambda number: number is not None)  # type: ignore[return-value]


schemathesis.openapi.format(NHS_NUMBER_FORMAT, _nhs_numbers())


@pytest.fixture(autouse=True)
def _schemathesis_on_pytest_9(request: pytest.FixtureRequest) -> None:
    """Schemathesis 4.32 renames the test node through ``_nodeid``, which pytest 9 dropped."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def fuzz_world(world: World) -> Iterator[dict[str, Any]]:
    """The app in this thread and this test's transaction, with generous rate limits.

    The caller manages in one of the agencies and administers and oversees the
    partnership, so the generated requests reach past the permission checks.
    """
    caller = world.manager
    for role in ("administrator", "business_manager"):
        PartnershipRoleAssignment.objects.create(
            person=caller, partnership=world.social_care.partnership, role=role
        )
    # Django's test client does the same: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    rates = {"read": "100000/minute", "write": "100000/minute"}
    with override_settings(ESCALATE_API_RATES=rates):
        yield {
            "app": WSGIHandler(),
            "headers": {"Authorization": f"Bearer {token_for(caller)}"},
            "world": world,
        }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(fuzz_world: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", fuzz_world["app"], headers=fuzz_world["headers"], config=CONFIG
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_keeps_to_the_document(
    case: Any, fuzz_world: dict[str, Any], record_property: Any
) -> None:
    _aim_some_positive_cases_at_real_things(case, fuzz_world)
    case.call_and_validate(headers=fuzz_world["headers"], checks=CHECKS)
    _count(record_property, case)


_OPERATIONS_SEEN: set[str] = set()


def _count(record_property: Any, case: Any) -> None:
    record_figure(record_property, "api_fuzz_requests", 1)
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    if operation not in _OPERATIONS_SEEN:
        _OPERATIONS_SEEN.add(operation)
        record_figure(record_property, "api_fuzz_operations", 1)


def _aim_some_positive_cases_at_real_things(case: Any, fuzz_world: dict[str, Any]) -> None:
    """Random ids and slugs reach only 404s: two in three valid cases name real ones."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is None or not mode.is_positive or not case.path_parameters:
        return
    seed = repr((case.path_parameters, case.query, case.headers, case.body))
    if zlib.crc32(seed.encode()) % 3 == 0:
        return
    world: World = fuzz_world["world"]
    world.escalation.refresh_from_db()
    real = {
        "slug": world.school.partnership.slug,
        "version": str(world.escalation.policy.version),
        "item": "record_outcome",
    }
    if case.path.startswith("/api/v1/escalations/"):
        real["id"] = str(world.escalation.pk)
    elif case.path.startswith("/api/v1/agencies/"):
        real["id"] = str(world.social_care.pk)
    elif case.path.startswith("/api/v1/people/"):
        real["id"] = str(world.counterpart.pk)
    for name in case.path_parameters:
        if name in real:
            case.path_parameters[name] = real[name]
    if case.headers and "If-Match" in case.headers and "escalations" in case.path:
        case.headers["If-Match"] = f'"{world.escalation.revision}"'


STATEFUL_SCENARIOS = int(os.environ.get("ESCALATE_FUZZ_SCENARIOS", "8"))


def test_call_sequences_keep_to_the_document(
    api_schema: Any, fuzz_world: dict[str, Any], record_property: Any
) -> None:
    """Stateful: chains of calls that feed each response's ids into the next request (an
    agency made, then read and renamed; a person added, then changed), with the links
    Schemathesis infers from the document, under the same checks."""
    headers = fuzz_world["headers"]
    calls: list[str] = []
    scenarios: list[int] = []

    class CallSequences(api_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            scenarios.append(len(calls))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            calls.append(case.operation.label)
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    CallSequences.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )

    assert len(calls) > len(scenarios), "the document's links chained no calls"
    record_figure(record_property, "api_stateful_calls", len(calls))
    record_figure(record_property, "api_stateful_scenarios", len(scenarios))

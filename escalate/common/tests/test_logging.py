"""Logs as JSON lines with request ids, never naming a child (decision 27).

Each test logs through the JSON configuration itself (``logging_settings("json")``, at
DEBUG, so even lines production would drop are read), into a buffer in place of stderr.
"""

from __future__ import annotations

import json
import logging.config
import subprocess
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from config.settings.observability import logging_settings
from escalate.api.tests.conftest import client_for
from escalate.escalations.clock import local_today
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, raise_for
from escalate.organisations.models import Person

pytestmark = pytest.mark.django_db

CHILD = "Zephyrine Quillfeather-Okonkwo"
CASE_REFERENCE = "ZQ-4471-XB"
REQUEST_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
}


class Log:
    def __init__(self) -> None:
        self.buffer = StringIO()

    @property
    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def requests(self) -> list[dict[str, Any]]:
        return [record for record in self.records() if record["logger"] == "escalate.request"]


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[Log]:
    captured = Log()
    config = logging_settings("json", level="DEBUG")
    config["handlers"]["console"]["stream"] = captured.buffer
    logging.config.dictConfig(config)
    # dictConfig replaced the root's handlers: the suite-wide leak check (conftest.py) reads too.
    logging.getLogger().addHandler(caplog.handler)
    yield captured
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def raiser() -> Person:
    school = AgencyFactory(name="Invented Primary School", kind="education")
    return PersonFactory(agency=school, name="Sam Raiser", job_title="Class teacher")


@pytest.fixture
def earlier(raiser: Person) -> Escalation:
    care = AgencyFactory(name="Invented Children's Services", kind="childrens_social_care")
    counterpart = PersonFactory(agency=care, name="Kim Other", job_title="Social worker")
    return raise_for(
        raised_by=raiser, other_agency=care, counterpart=counterpart, today=local_today()
    )


def raise_naming_the_child(api: APIClient, earlier: Escalation) -> Any:
    return api.post(
        "/api/v1/escalations/",
        {
            "subject": {"kind": "child", "name": CHILD, "case_reference": CASE_REFERENCE},
            "other_agency": earlier.other_agency_id,
            "counterpart": earlier.counterpart_id,
            "category": earlier.category,
            "decision_disputed": f"{CHILD} was judged below threshold.",
            "evidence": f"{CHILD} missed three appointments.",
            "desired_outcome": "A strategy discussion.",
        },
        format="json",
    )


def test_raising_and_searching_for_a_child_leaves_their_name_in_no_log_line(
    log: Log, raiser: Person, earlier: Escalation
) -> None:
    api = client_for(raiser)
    browser = Client()
    browser.force_login(raiser.user)

    raised = raise_naming_the_child(api, earlier)
    assert raised.status_code == 201, raised.content
    created = Escalation.objects.get(pk=raised.json()["id"])
    responses = [
        raised,
        api.get("/api/v1/escalations/", {"search": CHILD, "case_reference": CASE_REFERENCE}),
        browser.get(reverse("escalations:detail", kwargs={"pk": created.pk})),
        browser.get(reverse("reporting:register"), {"q": CHILD}),
        browser.get(reverse("subject_access"), {"name": CHILD}),  # not theirs to use: 404
        browser.get(f"/escalations/{CHILD}/"),  # no such page: 404
        browser.post(reverse("subject_access"), {"name": CHILD}),  # GET only: 405
    ]

    for line in log.lines:
        assert CHILD not in line
        assert CHILD.split()[1] not in line
        assert CASE_REFERENCE not in line
    ids = {record["request_id"] for record in log.requests()}
    assert {response["X-Request-ID"] for response in responses} <= ids
    assert len(log.requests()) == len(responses)
    assert all(set(record) == REQUEST_FIELDS for record in log.requests())


def test_a_path_holding_a_subjects_id_is_logged_as_its_route(
    log: Log, raiser: Person, earlier: Escalation
) -> None:
    browser = Client()
    browser.force_login(raiser.user)
    path = reverse("subject_access_export", kwargs={"pk": earlier.subject_id})

    response = browser.get(path)  # the raiser is no data protection officer: 404

    assert response.status_code == 404
    assert not [line for line in log.lines if path in line]
    (request,) = log.requests()
    assert request["path"] == "/subject-access/<int:pk>.json"
    assert request["status"] == 404
    not_found = [r for r in log.records() if r["logger"] == "django.request"]
    assert [r["message"] for r in not_found] == ["Not Found: /subject-access/<int:pk>.json"]


def test_a_request_line_is_one_json_object_with_its_request_id(log: Log) -> None:
    response = Client().get(reverse("privacy_notice"))

    (request,) = log.requests()
    assert request["request_id"] == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32
    assert request["method"] == "GET"
    assert request["path"] == "/privacy-notice/"
    assert request["status"] == 200
    assert request["level"] == "INFO"
    assert request["time"].endswith("+00:00")
    assert isinstance(request["duration_ms"], float)
    assert set(request) == REQUEST_FIELDS


def test_every_line_during_a_request_carries_its_id(log: Log) -> None:
    response = Client().get("/no-such-page/")

    during = [r for r in log.records() if r["logger"] in {"django.request", "escalate.request"}]
    assert len(during) == 2
    assert {r["request_id"] for r in during} == {response["X-Request-ID"]}


def test_the_proxys_request_id_is_kept_when_it_looks_like_one(log: Log) -> None:
    given = "0f8fad5bd9cb469fa16570867728950e"  # as nginx's $request_id

    response = Client().get(reverse("privacy_notice"), HTTP_X_REQUEST_ID=given)

    assert response["X-Request-ID"] == given
    assert [r["request_id"] for r in log.requests()] == [given]


@pytest.mark.parametrize(
    "given",
    [CHILD.replace(" ", ""), "1; DROP TABLE", "0f8fad5b\n{fake: line}", "x" * 500],
    ids=["a name", "punctuation", "a line break", "too long"],
)
def test_any_other_incoming_request_id_is_replaced(log: Log, given: str) -> None:
    response = Client().get(reverse("privacy_notice"), HTTP_X_REQUEST_ID=given)

    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32
    assert [r["request_id"] for r in log.requests()] == [response["X-Request-ID"]]
    assert not [line for line in log.lines if given in line]


def test_a_record_carries_only_the_fields_it_should(log: Log) -> None:
    logging.getLogger("escalate.test").warning(
        "Something happened", extra={"subject_name": CHILD, "request": "GET /?q=x"}
    )

    (record,) = log.records()
    assert set(record) == {"time", "level", "logger", "message", "request_id"}
    assert record["message"] == "Something happened"


def test_the_demo_servers_access_line_loses_its_query_string(log: Log) -> None:
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /register/?q={CHILD.replace(' ', '+')}&stage=2 HTTP/1.1", "200", "512"
    )

    (record,) = log.records()
    assert record["message"] == '"GET /register/ HTTP/1.1" 200 512'


def test_production_writes_json_unless_told_otherwise() -> None:
    from escalate.common.tests.test_production_settings import ESCALATE, _production_env

    script = (
        "import logging; from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter']); "
        "logging.getLogger('escalate.check').warning('hello')"
    )

    def run(**overrides: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ESCALATE, "shell", "-c", script],
            env=_production_env(**overrides),
            capture_output=True,
            text=True,
            check=False,
        )

    default, text = run(), run(ESCALATE_LOG_FORMAT="text")

    assert default.stdout.splitlines()[-1] == "json", default.stderr
    assert json.loads(default.stderr.splitlines()[-1])["message"] == "hello"
    assert text.stdout.splitlines()[-1] == "text", text.stderr
    assert text.stderr.splitlines()[-1].endswith("WARNING escalate.check [None] hello")

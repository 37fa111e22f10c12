"""Fixtures shared by the whole suite: a real Chromium for browser journeys."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

# Prints the figures the security tests record (matrix, headers, injection sweep) at the end.
pytest_plugins = ["escalate.common.tests.figures"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str | None:
    return (
        os.environ.get("ESCALATE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium_path()
    if executable is None:
        if os.environ.get("ESCALATE_REQUIRE_BROWSER"):
            pytest.fail("Browser tests are required here but Chromium is not installed.")
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped.")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test body are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture(scope="session", autouse=True)
def _attached_files_in_a_temporary_folder(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Attached files (decision 0021) go to a folder of the run's own, never the project's var/."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture(scope="session", autouse=True)
def _test_flush_may_empty_the_audit_history() -> Iterator[None]:
    """Transactional tests end by flushing the database, which the audit triggers refuse."""
    from django.test import TransactionTestCase

    from escalate.audit.purge import allow_purge

    # A private Django hook, untyped in django-stubs, hence getattr/setattr.
    original = getattr(TransactionTestCase, "_fixture_teardown")  # noqa: B009

    def teardown(self: TransactionTestCase) -> None:
        with allow_purge():
            original(self)

    setattr(TransactionTestCase, "_fixture_teardown", teardown)  # noqa: B010
    yield
    setattr(TransactionTestCase, "_fixture_teardown", original)  # noqa: B010


@pytest.fixture(autouse=True)
def _no_subject_identifier_in_logs_or_mail(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After every test: no seeded subject name or identifier in its logs or its mail."""
    import logging

    caplog.set_level(logging.DEBUG)
    yield
    from django.core import mail

    from escalate.common.privacy import leaked_identifiers

    texts = [record.getMessage() for record in caplog.records]
    texts += [f"{message.subject}\n{message.body}" for message in getattr(mail, "outbox", [])]
    leaked = leaked_identifiers(texts)
    assert not leaked, f"A subject's name or identifier reached a log or an email: {leaked}"


@pytest.fixture(autouse=True)
def _each_test_reads_procedure_versions_afresh() -> Iterator[None]:
    """A process holds the procedure versions it has read; a rolled-back test's ids may be
    reused by the next test's versions, so none is held from one test into another."""
    from escalate.policies.versions import forget_all

    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _every_escalation_holds_the_facts_its_rows_say(
    request: pytest.FixtureRequest,
) -> Iterator[None]:
    """After every test that used the database: each escalation's stored stage-machine facts
    (``Escalation.case_facts``, which the lists read) equal those read from its rows, so no
    service path forgets to keep them."""
    if request.node.get_closest_marker("django_db") is None and not {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames):
        yield
        return
    request.getfixturevalue(
        "db" if "transactional_db" not in request.fixturenames else "transactional_db"
    )
    yield
    from django.db import connection

    from escalate.escalations import authority
    from escalate.escalations.models import Escalation

    if connection.connection is None or not connection.is_usable():
        return  # the test closed its connection (the command line does), and its rows with it

    for escalation in Escalation.objects.all():
        assert authority.stored_case(escalation) == authority.case_of(escalation), (
            f"{escalation.reference}: the stored case facts differ from its rows"
        )

"""The OpenAPI document validates and describes every operation; the reference page renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from escalate.api.tests.conftest import API_URLS, World, client_for

pytestmark = pytest.mark.urls(API_URLS)


@override_settings(
    SPECTACULAR_SETTINGS={
        **__import__("django.conf").conf.settings.SPECTACULAR_SETTINGS,
        "DISABLE_ERRORS_AND_WARNINGS": False,
    }
)
def test_the_document_validates_without_warnings(tmp_path: Path):
    target = tmp_path / "openapi.json"

    call_command(
        "spectacular",
        "--urlconf",
        API_URLS,
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )

    document = json.loads(target.read_text())
    assert document["openapi"].startswith("3.")
    try:
        from openapi_spec_validator import validate  # type: ignore[import-not-found]
    except ImportError:
        return  # drf-spectacular's own validation above is the check
    validate(document)


def test_the_served_document_lists_every_operation_once(world: World):
    response = client_for(world.raiser).get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    operations = [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    ids = [document["paths"][path][method]["operationId"] for method, path in operations]
    assert len(ids) == len(set(ids)) == len(operations) >= 38
    assert ("post", "/api/v1/escalations/{id}/escalate/") in operations
    assert all(path.startswith("/api/v1/") for _, path in operations)


def test_the_document_needs_a_token_or_a_session(world: World):
    assert Client().get("/api/v1/openapi.json").status_code == 401
    signed_in = Client()
    signed_in.force_login(world.raiser.user)
    assert signed_in.get("/api/v1/openapi.json").status_code == 200


def test_the_reference_page_lists_the_operations_for_signed_in_people(world: World):
    client = Client()
    assert client.get("/api/v1/reference/").status_code == 302
    client.force_login(world.raiser.user)

    response = client.get("/api/v1/reference/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Raise an escalation" in page
    assert "/api/v1/escalations/{id}/escalate/" in page
    assert "<script>" not in page  # the Content Security Policy forbids inline scripts


def test_interactive_docs_run_swagger_ui_from_our_own_files_for_signed_in_people(world: World):
    client = Client()
    assert client.get("/api/v1/docs/").status_code == 302
    client.force_login(world.raiser.user)

    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/?script")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "<style>" not in html
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert script.status_code == 200
    assert "/api/v1/openapi.json" in script.content.decode()
    assert client.get("/api/v1/docs")["Location"] == "/api/v1/docs/"

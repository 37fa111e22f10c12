"""The escalation's documents through the API: the same files as the browser's downloads,
for a read token of anyone who may see the escalation, a problem 404 for anyone else, and
one row in the read trail for each download."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from escalate.api.tests.conftest import API_URLS, World, client_for
from escalate.audit.models import ReadEvent

pytestmark = pytest.mark.urls(API_URLS)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The API's path, its media type, the browser's URL name, and how the file name ends.
DOCUMENTS = [
    ("documents/record.pdf", "application/pdf", "documents:record_pdf", "-record.pdf"),
    ("documents/record.docx", DOCX, "documents:record_docx", "-record.docx"),
    (
        "documents/summary.txt",
        "text/plain; charset=utf-8",
        "documents:summary_text",
        "-outcome-summary.txt",
    ),
]
IDS = [rest.removeprefix("documents/") for rest, *_ in DOCUMENTS]


def url(world: World, rest: str) -> str:
    return f"/api/v1/escalations/{world.escalation.pk}/{rest}"


@pytest.mark.parametrize(("rest", "content_type", "html_name", "suffix"), DOCUMENTS, ids=IDS)
def test_a_read_token_downloads_each_document_with_its_type_and_one_read(
    world: World, rest: str, content_type: str, html_name: str, suffix: str
) -> None:
    response = client_for(world.counterpart, scope="read").get(url(world, rest))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f'{world.escalation.reference}{suffix}"' in disposition
    reads = ReadEvent.objects.filter(reader=world.counterpart, escalation=world.escalation)
    assert list(reads.values_list("what", "detail")) == [
        (ReadEvent.What.DOCUMENT, f"API: {rest.removeprefix('documents/')}")
    ]


@pytest.mark.parametrize(("rest", "content_type", "html_name", "suffix"), DOCUMENTS, ids=IDS)
def test_asking_for_the_files_own_type_is_answered(
    world: World, rest: str, content_type: str, html_name: str, suffix: str
) -> None:
    response = client_for(world.raiser).get(url(world, rest), HTTP_ACCEPT=content_type)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type


def test_the_files_are_those_the_browser_serves(world: World) -> None:
    browser = Client()
    browser.force_login(world.raiser.user)
    api = client_for(world.raiser)

    text = api.get(url(world, "documents/summary.txt")).content
    same_text = browser.get(
        reverse("documents:summary_text", kwargs={"pk": world.escalation.pk})
    ).content
    pdf = api.get(url(world, "documents/record.pdf")).content
    docx = Document(io.BytesIO(api.get(url(world, "documents/record.docx")).content))

    assert text == same_text
    assert text.decode().startswith(f"Escalation {world.escalation.reference}")
    assert pdf.startswith(b"%PDF-")
    assert docx.paragraphs[0].text == "Escalation Procedure Form"


@pytest.mark.parametrize(("rest", "content_type", "html_name", "suffix"), DOCUMENTS, ids=IDS)
def test_someone_who_cannot_see_the_escalation_gets_a_problem_404(
    world: World, rest: str, content_type: str, html_name: str, suffix: str
) -> None:
    client = client_for(world.outsider)

    for accept in ("", content_type):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = client.get(url(world, rest), **headers)

        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 404
    assert not ReadEvent.objects.filter(reader=world.outsider).exists()


def test_an_unknown_escalation_is_404_like_an_unseen_one(world: World) -> None:
    client = client_for(world.raiser)
    for pk in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = client.get(f"/api/v1/escalations/{pk}/documents/record.pdf")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_without_a_token_there_is_no_document(world: World) -> None:
    response = Client().get(url(world, "documents/summary.txt"))

    assert response.status_code == 401
    assert not ReadEvent.objects.exists()


def test_documents_are_read_only(world: World) -> None:
    response = client_for(world.raiser).post(url(world, "documents/summary.txt"), {})

    assert response.status_code == 405
    assert not ReadEvent.objects.exists()


def test_the_openapi_document_describes_each_download_as_a_file(world: World) -> None:
    document = client_for(world.raiser).get("/api/v1/openapi.json").json()

    for rest, content_type, _, _ in DOCUMENTS:
        operation = document["paths"][f"/api/v1/escalations/{{id}}/{rest}"]["get"]
        media_type = content_type.split(";")[0]
        schema = operation["responses"]["200"]["content"][media_type]["schema"]
        assert schema["type"] == "string"
        assert operation["security"]
        assert "404" in operation["responses"]
    pdf = document["paths"]["/api/v1/escalations/{id}/documents/record.pdf"]["get"]
    assert pdf["responses"]["200"]["content"]["application/pdf"]["schema"]["format"] == "binary"

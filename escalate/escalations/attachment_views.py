"""Attaching a file to an escalation and downloading one (decision 0021).

Attaching: the stage machine's refusal is a 403 page; a file the domain refuses (type,
size, content) is an error on the form's file field, and nothing is stored. Downloading:
anyone who sees the escalation; everyone else gets 404. Each download is a row in the read
trail, as each document download is, and the file is streamed from the store as an
attachment the browser will not sniff or show inline.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.domain import engine
from escalate.domain.attachments import ACCEPT_ATTRIBUTE, ACCEPTED_WORDS, describe_size
from escalate.escalations import attachments, presenters
from escalate.escalations.access import get_for
from escalate.escalations.documents import long_date
from escalate.escalations.forms import GovukForm
from escalate.escalations.models import Attachment, Escalation
from escalate.escalations.views import _done, _forbidden, for_person
from escalate.organisations.models import Person

logger = logging.getLogger(__name__)
NO_CONTACT = ""


class AttachmentForm(GovukForm):
    """The shape of an upload; which files and who may is the service's answer."""

    file = forms.FileField(
        label="Upload a file",
        error_messages={"required": "Select a file", "empty": "The selected file is empty"},
        allow_empty_file=True,  # the service says why an empty file is refused
    )
    kind = forms.ChoiceField(
        label="What kind of file is it?",
        choices=Attachment.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": attachments.CHOOSE_KIND},
    )
    contact = forms.ChoiceField(label="Which contact is it about?", required=False)

    def __init__(self, *args: Any, escalation: Escalation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(NO_CONTACT, "None in particular")]
        choices += [
            (
                str(contact.pk),
                f"Stage {contact.stage_number}: {contact.get_kind_display()} on "
                f"{long_date(contact.happened_on)}",
            )
            for contact in escalation.contacts.all()
        ]
        contact_field = self.fields["contact"]
        assert isinstance(contact_field, forms.ChoiceField)
        contact_field.choices = choices
        self.fields["file"].help_text = (
            f"A {ACCEPTED_WORDS} file, smaller than "
            f"{describe_size(_max_bytes())}: minutes, a letter or a note."
        )

    def contact_id(self) -> int | None:
        chosen = self.cleaned_data.get("contact") or NO_CONTACT
        return int(chosen) if chosen != NO_CONTACT else None


def _max_bytes() -> int:
    from django.conf import settings

    return int(settings.ATTACHMENT_MAX_BYTES)


@csrf_exempt  # checked below, once the file's size limit is in place (Django's own way)
def attach(request: HttpRequest, pk: UUID) -> HttpResponse:
    if request.method == "POST":
        attachments.limit_upload(request)
    return _attach(request, pk=pk)


@csrf_protect
@for_person
def _attach(request: HttpRequest, person: Person, pk: UUID) -> HttpResponse:
    escalation = get_for(person, str(pk))
    refusal = attachments.attach_refusal_for(person, escalation)
    if refusal:
        return _forbidden(request, refusal, escalation=escalation)
    posted = request.method == "POST"
    form = AttachmentForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        escalation=escalation,
    )
    too_large = attachments.upload_refusal(request)
    if too_large:
        form.is_valid()
        form.errors.pop("file", None)  # "Select a file": it was left out for its size
        form.add_error("file", too_large)
    elif form.is_bound and form.is_valid():
        try:
            attachments.attach_file(
                escalation=escalation,
                actor=person,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                contact_id=form.contact_id(),
            )
        except attachments.AttachmentRefused as refused:
            form.add_error("file", str(refused))
        except engine.TransitionRefused as refused:
            form.add_error(None, str(refused))
        else:
            return _done(request, escalation, "File attached")
    return render(
        request,
        "escalations/actions/attach.html",
        {
            "escalation": presenters.escalation_heading(escalation),
            "form": presenters.form_view(form),
            "accept": ACCEPT_ATTRIBUTE,
        },
    )


@login_required
@require_GET
def download(request: HttpRequest, pk: UUID, attachment_id: int) -> HttpResponseBase:
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No such file.")
    attachment = attachments.attachment_for(person, str(pk), attachment_id)
    record_read(
        request,
        what=ReadEvent.What.DOCUMENT,
        escalation=attachment.escalation,
        detail=f"attachment {attachment.pk}",
    )
    return file_response(attachment)


def file_response(attachment: Attachment) -> FileResponse:
    """The stored file, streamed, named as it was uploaded, never shown inline or sniffed."""
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:  # the store lost it: say so in the log (the key, not the name)
        logger.error(
            "Attachment %s is missing from the store (%s).", attachment.pk, attachment.file.name
        )
        raise Http404("No such file.") from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response

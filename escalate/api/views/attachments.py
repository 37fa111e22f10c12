"""An escalation's attached files through the API (decision 0021): list them, attach one
(multipart, a read and write token), download one.

The same services and rules as the browser's pages (``escalations/attachments.py``): the
escalation is fetched through access (a problem 404 for anyone who cannot see it), the stage
machine decides who may attach (a 409 with its sentence), the domain which files are
accepted (a 400 naming the ``file`` field), and each list and download is a read in the
read trail.
"""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from escalate.api.problems import UnacceptableFile
from escalate.api.views.base import MAX_ID, ApiView, escalation_for, int_id, operation, parse
from escalate.api.views.documents import _FileRenderer
from escalate.api.views.escalations import ESCALATION_ID, TAG
from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.domain.attachments import ACCEPTED, AttachmentTooLarge
from escalate.escalations import attachments
from escalate.escalations.attachment_views import file_response
from escalate.escalations.models import Attachment

ATTACHMENT_ID = OpenApiParameter(
    "attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The file's id."
)


class AttachmentSerializer(Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The name it was uploaded with, cleaned.")
    kind = serializers.ChoiceField(choices=Attachment.Kind.choices)
    content_type = serializers.CharField(help_text="As the file's content says.")
    size = serializers.IntegerField(help_text="In bytes.")
    sha256 = serializers.CharField()
    stage_number = serializers.IntegerField(help_text="The stage it was attached at.")
    contact = serializers.IntegerField(
        source="contact_id", allow_null=True, help_text="The contact it is about, if any."
    )
    uploaded_by = serializers.CharField(source="uploaded_by.name")
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()

    def get_download(self, attachment: Attachment) -> str:
        return reverse(
            "api:attachment",
            kwargs={"pk": str(attachment.escalation_id), "attachment_id": str(attachment.pk)},
        )


class AttachmentListApi(ApiView):
    """The escalation's attached files, oldest first: their details, not their content."""

    tags = TAG

    @operation(
        "List an escalation's attached files",
        response=AttachmentSerializer(many=True),
        parameters=[ESCALATION_ID],
    )
    def get(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        rows = attachments.attachments_of(escalation)
        record_read(
            request, what=ReadEvent.What.ESCALATION, escalation=escalation, detail="API: files"
        )
        return Response(AttachmentSerializer(rows, many=True).data)


class AttachmentUploadApi(ApiView):
    """Attach minutes, a letter or a note (PDF, DOCX, ODT, TXT, PNG or JPG) to the escalation."""

    tags = TAG
    problems = (409, 413, 415)
    parser_classes = [MultiPartParser]

    class InputSerializer(Serializer):  # type: ignore[type-arg]
        file = serializers.FileField(allow_empty_file=True)
        kind = serializers.ChoiceField(choices=Attachment.Kind.choices)
        # Left out, not null, for none: a multipart form has no null.
        contact = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ID, help_text="A contact of this escalation."
        )

    @operation(
        "Attach a file",
        request={"multipart/form-data": InputSerializer},
        response=AttachmentSerializer,
        status=201,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        attachments.limit_upload(request._request)
        data = request.data
        if too_large := attachments.upload_refusal(request._request):
            raise UnacceptableFile(too_large, too_large=True)
        data = parse(self.InputSerializer, data)
        try:
            attachment = attachments.attach_file(
                escalation=escalation,
                actor=self.person,
                upload=data["file"],
                kind=data["kind"],
                contact_id=data.get("contact"),
            )
        except attachments.AttachmentRefused as refused:
            by_size = isinstance(refused, AttachmentTooLarge)
            raise UnacceptableFile(str(refused), too_large=by_size) from None
        return Response(AttachmentSerializer(attachment).data, status=201)


class _AnyFileRenderer(_FileRenderer):
    """A file of whatever type it was accepted as; a problem is still JSON."""

    media_type = "*/*"
    format = "file"


class AttachmentDownloadApi(ApiView):
    """One attached file, as it was uploaded, with the media type its content declared."""

    tags = TAG
    renderer_classes = [JSONRenderer, _AnyFileRenderer]

    @extend_schema(
        summary="Download an attached file",
        parameters=[ESCALATION_ID, ATTACHMENT_ID],
        responses={
            (200, accepted.content_type): OpenApiResponse(
                OpenApiTypes.BINARY, description=f"The file, named as uploaded: {accepted.label}."
            )
            for accepted in ACCEPTED
        },
    )
    def get(self, request: Request, pk: str, attachment_id: str) -> HttpResponseBase:
        escalation = escalation_for(self.person, pk)
        attachment = attachments.attachment_of(escalation, int_id(attachment_id, "file"))
        record_read(
            request,
            what=ReadEvent.What.DOCUMENT,
            escalation=attachment.escalation,
            detail=f"API: attachment {attachment.pk}",
        )
        return file_response(attachment)

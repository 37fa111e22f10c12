"""The API under /api/v1/, its OpenAPI document and reference, and the token pages.

Mounted by ``config/urls.py`` as ``path("api/", include("escalate.api.urls"))``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from escalate.api.authentication import ApiTokenAuthentication
from escalate.api.permissions import PersonWithTokenScope
from escalate.api.problems import PROBLEM_CONTENT_TYPE
from escalate.api.routing import by_method
from escalate.api.views import (
    attachments,
    directory,
    documents,
    escalations,
    notifications,
    pages,
    reporting,
)

app_name = "api"


class OpenApiDocumentApi(SpectacularAPIView):
    """The OpenAPI document, for anyone with a token or signed in."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [PersonWithTokenScope]
    renderer_classes = [OpenApiJsonRenderer2]


class InteractiveDocsView(SpectacularSwaggerSplitView):
    """Swagger UI for signed-in people, from our own static files.

    The split view serves its start-up script as a separate file, so the Content
    Security Policy needs no inline script.
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    url_name = "api:openapi"


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1/: a problem document, not the HTML 404 page."""
    import json

    body = {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No such resource.",
        "instance": request.path,
    }
    return HttpResponse(json.dumps(body), status=404, content_type=PROBLEM_CONTENT_TYPE)


E = "v1/escalations/<str:pk>/"
v1 = [
    path("v1/openapi.json", OpenApiDocumentApi.as_view(), name="openapi"),
    path("v1/docs/", login_required(InteractiveDocsView.as_view()), name="docs"),
    path("v1/docs", RedirectView.as_view(pattern_name="api:docs")),
    path("v1/reference/", pages.docs, name="reference"),
    path("v1/partnerships/", directory.PartnershipListApi.as_view(), name="partnerships"),
    path(
        "v1/partnerships/<str:slug>/",
        directory.PartnershipDetailApi.as_view(),
        name="partnership",
    ),
    path(
        "v1/partnerships/<str:slug>/policies/",
        directory.PolicyListApi.as_view(),
        name="policies",
    ),
    path(
        "v1/partnerships/<str:slug>/policies/<str:version>/",
        directory.PolicyDetailApi.as_view(),
        name="policy",
    ),
    path(
        "v1/partnerships/<str:slug>/policies/<str:version>/timeline/",
        directory.PolicyTimelineApi.as_view(),
        name="policy_timeline",
    ),
    path(
        "v1/agencies/",
        by_method(get=directory.AgencyListApi, post=directory.AgencyCreateApi),
        name="agencies",
    ),
    path(
        "v1/agencies/<str:pk>/",
        by_method(get=directory.AgencyDetailApi, put=directory.AgencyUpdateApi),
        name="agency",
    ),
    path(
        "v1/people/",
        by_method(get=directory.PersonListApi, post=directory.PersonCreateApi),
        name="people",
    ),
    path("v1/people/me/", directory.PersonMeApi.as_view(), name="me"),
    path(
        "v1/people/<str:pk>/",
        by_method(get=directory.PersonDetailApi, put=directory.PersonUpdateApi),
        name="person",
    ),
    path(
        "v1/escalations/",
        by_method(get=escalations.EscalationListApi, post=escalations.EscalationRaiseApi),
        name="escalations",
    ),
    path(E, escalations.EscalationDetailApi.as_view(), name="escalation"),
    path(
        f"{E}contacts/",
        by_method(get=escalations.ContactListApi, post=escalations.ContactRecordApi),
        name="contacts",
    ),
    path(
        f"{E}contacts/<str:contact_id>/corrections/",
        escalations.ContactCorrectApi.as_view(),
        name="contact_corrections",
    ),
    path(f"{E}escalate/", escalations.EscalationEscalateApi.as_view(), name="escalate"),
    path(f"{E}resolve/", escalations.EscalationResolveApi.as_view(), name="resolve"),
    path(
        f"{E}resolution/confirm/",
        escalations.EscalationResolutionConfirmApi.as_view(),
        name="confirm_resolution",
    ),
    path(f"{E}withdraw/", escalations.EscalationWithdrawApi.as_view(), name="withdraw"),
    path(f"{E}close/", escalations.EscalationCloseApi.as_view(), name="close"),
    path(f"{E}reopen/", escalations.EscalationReopenApi.as_view(), name="reopen"),
    path(f"{E}parties/", escalations.PartyAddApi.as_view(), name="parties"),
    path(f"{E}lead-agency/", escalations.LeadAgencySetApi.as_view(), name="lead_agency"),
    path(f"{E}agreed-actions/", escalations.AgreedActionListApi.as_view(), name="agreed_actions"),
    path(
        f"{E}agreed-actions/<str:action_id>/confirm/",
        escalations.AgreedActionConfirmApi.as_view(),
        name="agreed_action_confirm",
    ),
    path(
        f"{E}agreed-actions/<str:action_id>/check-back/",
        escalations.AgreedActionCheckBackApi.as_view(),
        name="agreed_action_check_back",
    ),
    path(f"{E}checklist/", escalations.ChecklistApi.as_view(), name="checklist"),
    path(
        f"{E}checklist/<str:item>/",
        escalations.ChecklistItemRecordApi.as_view(),
        name="checklist_item",
    ),
    path(
        f"{E}representations/",
        by_method(get=escalations.RepresentationListApi, post=escalations.RepresentationSubmitApi),
        name="representations",
    ),
    path(f"{E}panel/", escalations.PanelApi.as_view(), name="panel"),
    path(f"{E}panel/members/", escalations.PanelMemberAddApi.as_view(), name="panel_members"),
    path(
        f"{E}panel/members/<str:person_id>/",
        escalations.PanelMemberRemoveApi.as_view(),
        name="panel_member",
    ),
    path(f"{E}panel/chair/", escalations.MeetingChairAppointApi.as_view(), name="meeting_chair"),
    path(f"{E}panel/reason/", escalations.PanelReasonRecordApi.as_view(), name="panel_reason"),
    path(f"{E}decision/", escalations.FinalDecisionRecordApi.as_view(), name="decision"),
    path(
        f"{E}decision/corrections/",
        escalations.FinalDecisionCorrectApi.as_view(),
        name="decision_corrections",
    ),
    path(f"{E}history/", escalations.EscalationHistoryApi.as_view(), name="history"),
    path(
        f"{E}documents/record.pdf",
        documents.EscalationRecordPdfApi.as_view(),
        name="escalation_record_pdf",
    ),
    path(
        f"{E}documents/record.docx",
        documents.EscalationRecordDocxApi.as_view(),
        name="escalation_record_docx",
    ),
    path(
        f"{E}documents/summary.txt",
        documents.EscalationSummaryTextApi.as_view(),
        name="escalation_summary_text",
    ),
    path(
        f"{E}attachments/",
        by_method(get=attachments.AttachmentListApi, post=attachments.AttachmentUploadApi),
        name="attachments",
    ),
    path(
        f"{E}attachments/<str:attachment_id>/",
        attachments.AttachmentDownloadApi.as_view(),
        name="attachment",
    ),
    path(
        f"{E}practice-issues/",
        escalations.PracticeIssueRecordApi.as_view(),
        name="escalation_practice_issues",
    ),
    path(
        f"{E}good-practice/",
        escalations.GoodPracticeRecordApi.as_view(),
        name="escalation_good_practice",
    ),
    path("v1/register/", reporting.RegisterApi.as_view(), name="register"),
    path("v1/practice-issues/", reporting.PracticeIssueLogApi.as_view(), name="practice_issues"),
    path(
        "v1/practice-issues/<str:pk>/board-actions/",
        reporting.BoardActionCreateApi.as_view(),
        name="practice_issue_board_actions",
    ),
    path("v1/board-actions/", reporting.BoardActionListApi.as_view(), name="board_actions"),
    path(
        "v1/board-actions/<str:pk>/done/",
        reporting.BoardActionCompleteApi.as_view(),
        name="board_action_done",
    ),
    path("v1/good-practice/", reporting.GoodPracticeListApi.as_view(), name="good_practice"),
    path("v1/notifications/", notifications.NotificationListApi.as_view(), name="notifications"),
    re_path(r"^v1/(?P<rest>.*)$", not_found),
]

tokens = [
    path("tokens/", pages.token_list, name="tokens"),
    path("tokens/new/", pages.token_new, name="token_new"),
    path("tokens/<id:pk>/revoke/", pages.token_revoke, name="token_revoke"),
    path("tokens/people/", pages.find_person, name="find_person"),
    path("tokens/people/<id:person_pk>/", pages.person_token_list, name="person_tokens"),
]

urlpatterns = v1 + tokens

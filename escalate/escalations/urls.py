from django.urls import path

from escalate.escalations import attachment_views, correction_views, views

app_name = "escalations"
urlpatterns = [
    path("", views.my_escalations, name="mine"),
    path("new/", views.raise_triage, name="raise"),
    path("new/same-day/", views.raise_same_day, name="raise_same_day"),
    path("new/route/", views.raise_route, name="raise_route"),
    path("new/another-route/", views.raise_elsewhere, name="raise_elsewhere"),
    path("new/details/", views.raise_details, name="raise_details"),
    path("<uuid:pk>/", views.escalation_detail, name="detail"),
    path("<uuid:pk>/seen-by/", views.read_trail, name="read_trail"),
    path("<uuid:pk>/contacts/new/", views.record_contact, name="record_contact"),
    path("<uuid:pk>/escalate/", views.escalate_to_next_stage, name="escalate"),
    path("<uuid:pk>/resolve/", views.resolve, name="resolve"),
    path("<uuid:pk>/resolve/confirm/", views.confirm_resolution, name="confirm_resolution"),
    path("<uuid:pk>/reopen/", views.reopen, name="reopen"),
    path("<uuid:pk>/agencies/new/", views.add_agency, name="add_agency"),
    path("<uuid:pk>/lead-agency/", views.lead_agency, name="lead_agency"),
    path("<uuid:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:pk>/close/", views.close, name="close"),
    path("<uuid:pk>/checklist/<slug:item>/", views.checklist_item, name="checklist_item"),
    path(
        "<uuid:pk>/actions/<int:action_id>/confirm/",
        views.confirm_action,
        name="confirm_action",
    ),
    path(
        "<uuid:pk>/actions/<int:action_id>/check-back/",
        views.check_back_action,
        name="check_back_action",
    ),
    path("<uuid:pk>/representations/new/", views.new_representation, name="new_representation"),
    path("<uuid:pk>/panel/", views.panel, name="panel"),
    path("<uuid:pk>/panel/remove/", views.panel_remove, name="panel_remove"),
    path("<uuid:pk>/panel/reason/", views.panel_reason, name="panel_reason"),
    path("<uuid:pk>/chair/", views.meeting_chair, name="meeting_chair"),
    path("<uuid:pk>/decision/", views.decision, name="decision"),
    path("<uuid:pk>/attachments/new/", attachment_views.attach, name="attach"),
    path(
        "<uuid:pk>/attachments/<id:attachment_id>/",
        attachment_views.download,
        name="attachment",
    ),
    path(
        "<uuid:pk>/contacts/<id:contact_id>/correct/",
        correction_views.correct_contact,
        name="correct_contact",
    ),
    path(
        "<uuid:pk>/decisions/<id:decision_id>/correct/",
        correction_views.correct_decision,
        name="correct_decision",
    ),
]

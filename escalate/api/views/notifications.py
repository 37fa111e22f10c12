"""The caller's notifications: what they were told, and when."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api.pagination import Cursor
from escalate.api.serializers import Serializer
from escalate.api.views.base import ApiView, operation
from escalate.notifications.models import Notification


class NotificationSerializer(Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    escalation_id = serializers.UUIDField(allow_null=True)
    stage_number = serializers.IntegerField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    context = serializers.DictField(  # type: ignore[assignment]
        help_text="References and dates; never the subject."
    )
    channel = serializers.ChoiceField(choices=Notification.Channel.choices)
    status = serializers.ChoiceField(choices=Notification.Status.choices)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationListApi(ApiView):
    """Notifications sent (or to be sent) to the person the token belongs to, newest first."""

    tags = ("notifications",)
    pagination_class = Cursor

    @operation("List your notifications", response=NotificationSerializer(many=True))
    def get(self, request: Request) -> Response:
        notifications = Notification.objects.filter(recipient=self.person)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)

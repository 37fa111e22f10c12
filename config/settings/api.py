"""Settings for the REST API (escalate/api).

Imported at the end of ``base.py``; the environment is read there, not here.
"""

REST_FRAMEWORK = {
    # Only API tokens: a browser session never reaches a resource, so no CSRF concerns.
    "DEFAULT_AUTHENTICATION_CLASSES": ["escalate.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["escalate.api.permissions.PersonWithTokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["escalate.api.throttling.TokenRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["escalate.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "escalate.api.schema.EscalateAutoSchema",
    "EXCEPTION_HANDLER": "escalate.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATE_FORMAT": "iso-8601",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNICODE_JSON": True,
    "STRICT_JSON": True,
    "URL_FORMAT_OVERRIDE": None,
}

# Requests per token (or per signed-in user, or per address when anonymous), by kind.
ESCALATE_API_RATES = {
    "read": "600/minute",
    "write": "120/minute",
}

# How long a POST's Idempotency-Key is remembered, with the response it produced.
ESCALATE_API_IDEMPOTENCY_HOURS = 24

# Longest life a token may be given, and the choices offered on the token page.
ESCALATE_API_TOKEN_LIFETIMES_DAYS = (30, 90, 180, 365)

SPECTACULAR_SETTINGS = {
    # Swagger UI's files come from drf-spectacular-sidecar, served as our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "TITLE": "Escalate API",
    "DESCRIPTION": (
        "Raise and record professional disagreements about the safety of children and "
        "adults, under each partnership's escalation procedure, with the same rules as "
        "the browser. Authenticate with `Authorization: Bearer <token>`; state-changing "
        "calls on an escalation take `If-Match` with its `ETag`; POSTs accept "
        "`Idempotency-Key`. Errors are `application/problem+json` (RFC 9457)."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.0.3",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SubjectKindEnum": "escalate.api.enums.SUBJECT_KINDS",
        "AgencyKindEnum": "escalate.api.enums.AGENCY_KINDS",
        "LadderRoleEnum": "escalate.api.enums.LADDER_ROLES",
        "PartnershipRoleEnum": "escalate.api.enums.PARTNERSHIP_ROLES",
        "DeadlineKindEnum": "escalate.api.enums.DEADLINE_KINDS",
        "StageActionEnum": "escalate.api.enums.STAGE_ACTIONS",
        "ChecklistItemEnum": "escalate.api.enums.CHECKLIST_ITEMS",
        "FinalStageKindEnum": "escalate.api.enums.FINAL_STAGE_KINDS",
        "PolicyContactKindEnum": "escalate.api.enums.POLICY_CONTACT_KINDS",
        "NationEnum": "escalate.api.enums.NATIONS",
        "DeadlineStateEnum": "escalate.api.enums.DEADLINE_STATES",
        "EscalationStatusEnum": "escalate.escalations.models.Escalation.Status",
        "ContactKindEnum": "escalate.escalations.models.Contact.Kind",
        "AttachmentKindEnum": "escalate.escalations.models.Attachment.Kind",
        "ImplementationEnum": "escalate.escalations.models.AgreedAction.Implementation",
        "StageOutcomeEnum": "escalate.escalations.models.StageEntry.Outcome",
        "ChecklistStateEnum": "escalate.api.enums.CHECKLIST_STATES",
        "NotificationKindEnum": "escalate.notifications.models.Notification.Kind",
        "NotificationStatusEnum": "escalate.notifications.models.Notification.Status",
        "NotificationChannelEnum": "escalate.notifications.models.Notification.Channel",
    },
    "DISABLE_ERRORS_AND_WARNINGS": False,
    # One class per operation: each method of a shared path is its own operation class.
    "PREPROCESSING_HOOKS": ["escalate.api.routing.split_operations"],
    "TAGS": [
        {"name": "partnerships", "description": "Partnerships, their procedures and timelines."},
        {"name": "directory", "description": "Agencies and people."},
        {"name": "escalations", "description": "Raising and moving escalations."},
        {"name": "agreed actions", "description": "Agreed actions and their check-back."},
        {"name": "final stage", "description": "Representations, panel and decision."},
        {
            "name": "reporting",
            "description": "The register, practice issues, board actions and good practice.",
        },
        {"name": "notifications", "description": "What you were told, and when."},
    ],
}

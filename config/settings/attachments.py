"""Files attached to escalations (escalate/escalations/attachments.py; decision 0021).

Imported at the end of ``base.py``. The files are kept through Django's storage API under
the ``attachments`` alias of ``STORAGES``: on the file system under ``MEDIA_ROOT`` unless
``ESCALATE_ATTACHMENT_STORAGE=s3``, which keeps them in an S3-compatible bucket through
django-storages (``pip install '.[s3]'``; credentials from the usual AWS_* variables).
No file is ever served from ``MEDIA_URL``: every download goes through a view that checks
who is asking.
"""

from pathlib import Path
from typing import Any

from .base import STORAGES, env

_PROJECT = Path(__file__).resolve().parent.parent.parent
MEDIA_ROOT = env("ESCALATE_MEDIA_ROOT") or str(_PROJECT / "var" / "media")
ATTACHMENT_MAX_BYTES = int(env("ESCALATE_ATTACHMENT_MAX_MB") or "10") * 1024 * 1024

if (env("ESCALATE_ATTACHMENT_STORAGE") or "filesystem") == "s3":
    ATTACHMENT_STORAGE: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("ESCALATE_ATTACHMENT_BUCKET"),
            "endpoint_url": env("ESCALATE_ATTACHMENT_ENDPOINT_URL"),
            "region_name": env("ESCALATE_ATTACHMENT_REGION"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }
else:
    ATTACHMENT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {**STORAGES, "attachments": ATTACHMENT_STORAGE}

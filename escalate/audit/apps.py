from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "escalate.audit"
    label = "audit"

    def ready(self) -> None:
        from escalate.audit import checks  # noqa: F401 - registers the system check
        from escalate.audit.purge import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="audit-purge-function")

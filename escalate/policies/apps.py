from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "escalate.policies"
    label = "policies"
    verbose_name = "Partnerships and their procedures"

    def ready(self) -> None:
        from escalate.policies import versions  # noqa: F401 - connects its signal receivers

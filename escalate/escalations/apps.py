from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalate.escalations"
    label = "escalations"

    def ready(self) -> None:
        from escalate.escalations.leavers import on_person_leaving
        from escalate.organisations.signals import person_leaving

        person_leaving.connect(on_person_leaving, dispatch_uid="escalations-hand-over")

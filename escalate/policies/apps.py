from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "escalate.policies"
    label = "policies"
    verbose_name = "Partnerships and their procedures"

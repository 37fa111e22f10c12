from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "escalate.organisations"
    label = "organisations"
    verbose_name = "Directory of agencies and people"

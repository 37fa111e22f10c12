import pytest
from django.core.management import call_command


@pytest.fixture
def shipped_policies(db: None) -> None:
    call_command("load_policies", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115

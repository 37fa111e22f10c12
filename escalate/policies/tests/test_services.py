from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from escalate.policies.models import Partnership, Policy
from escalate.policies.services import LoadOutcome, PolicyRefused, derive_code, load_policy
from escalate.policy_library import shipped_paths

pytestmark = pytest.mark.django_db

NEL_TEXT = next(path for path in shipped_paths() if path.stem == "nel").read_text()


def test_loading_a_policy_stores_a_version_that_gives_back_the_same_rules() -> None:
    loaded = load_policy(text=NEL_TEXT, origin="nel.toml")

    assert loaded.outcome is LoadOutcome.CREATED
    assert loaded.policy.partnership.slug == "nel"
    assert [stage.number for stage in loaded.policy.to_rules().stages] == [1, 2, 3, 4, 5]


def test_loading_the_same_file_twice_keeps_one_row() -> None:
    load_policy(text=NEL_TEXT, origin="nel.toml")

    again = load_policy(text=NEL_TEXT, origin="nel.toml")

    assert again.outcome is LoadOutcome.UNCHANGED
    assert Policy.objects.count() == 1


def test_changed_content_under_the_same_version_is_refused() -> None:
    load_policy(text=NEL_TEXT, origin="nel.toml")
    changed = NEL_TEXT.replace("days = 8 }", "days = 9 }")

    with pytest.raises(PolicyRefused, match="new version number"):
        load_policy(text=changed, origin="nel.toml")


def test_a_new_version_is_stored_beside_the_old_one() -> None:
    first = load_policy(text=NEL_TEXT, origin="nel.toml").policy.version
    following = NEL_TEXT.replace(f"version = {first}", f"version = {first + 1}").replace(
        "days = 8 }", "days = 9 }"
    )

    load_policy(text=following, origin="nel.toml")

    assert list(Policy.objects.values_list("version", flat=True).order_by("version")) == [
        first,
        first + 1,
    ]


def test_a_file_with_errors_is_refused_with_its_first_problem(tmp_path: Path) -> None:
    broken = NEL_TEXT.replace('nation = "england-and-wales"', 'nation = "wales-only"')

    with pytest.raises(PolicyRefused, match=r"calendar\.nation"):
        load_policy(text=broken, origin="nel.toml")
    assert not Policy.objects.exists()


def test_a_new_partnership_gets_a_reference_code_from_its_slug() -> None:
    loaded = load_policy(text=NEL_TEXT, origin="nel.toml")

    assert loaded.policy.partnership.code == "NEL"


def test_every_shipped_partnership_gets_its_own_code() -> None:
    call_command("load_policies", verbosity=0)

    codes = dict(Partnership.objects.values_list("slug", "code"))
    assert codes == {
        "cscp": "CSCP",
        "devon-preschool": "DEVONPRE",
        "greenwich": "GREENWIC",
        "nel": "NEL",
        "worcestershire": "WORCESTE",
    }


@pytest.mark.parametrize(
    ("slug", "taken", "code"),
    [
        ("nel", set(), "NEL"),
        ("north-east-lincs", set(), "NORTHEAS"),
        ("nel", {"NEL"}, "NEL2"),
        ("nel", {"NEL", "NEL2"}, "NEL3"),
        ("worcestershire", {"WORCESTE"}, "WORCEST2"),
        ("esc", set(), "ESC2"),
        ("x", set(), "XX"),
    ],
    ids=["short", "hyphens", "taken", "taken-twice", "long-and-taken", "legacy-prefix", "one"],
)
def test_a_derived_code_is_short_capitals_and_never_taken(
    slug: str, taken: set[str], code: str
) -> None:
    assert derive_code(slug, taken=taken) == code


def test_the_database_refuses_a_partnership_without_a_proper_code() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.create(slug="nocode", name="No code (invented)")
    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.create(slug="lower", name="Lower (invented)", code="nel")

import pytest
from django.test import Client
from django.urls import reverse

SHIPPED_PARTNERSHIPS = [
    "CSCP (children's safeguarding partnership named only by its initials)",
    "Devon Local Safeguarding Children Board (as adopted by a pre-school)",
    "Greenwich Safeguarding Children Board",
    "North East Lincolnshire Safeguarding Children Partnership and Safeguarding Adults Board",
    "Worcestershire Safeguarding Children Board",
]


@pytest.mark.usefixtures("shipped_policies")
def test_home_page_lists_every_shipped_partnership(
    client: Client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get(reverse("policies:home"))

    assert response.status_code == 200
    text = response.content.decode()
    for name in SHIPPED_PARTNERSHIPS:
        assert name.replace("'", "&#x27;") in text


@pytest.mark.usefixtures("shipped_policies")
def test_procedure_page_shows_stages_roles_and_contacts(client: Client) -> None:
    response = client.get(reverse("policies:detail", kwargs={"slug": "nel"}))

    text = response.content.decode()
    assert "Stage 4: Escalate to assistant director" in text
    assert "Detective Chief Inspector" in text
    assert "01472 326292" in text
    assert "By working day 15 of the procedure" in text


def test_unknown_partnership_is_404(client: Client, db: None) -> None:
    response = client.get(reverse("policies:detail", kwargs={"slug": "nowhere"}))

    assert response.status_code == 404


@pytest.mark.usefixtures("shipped_policies")
def test_pages_send_a_content_security_policy_without_inline_script(client: Client) -> None:
    response = client.get(reverse("policies:home"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy

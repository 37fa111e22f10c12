"""The home page in a real browser: it renders with GOV.UK styles and passes axe."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("shipped_policies")
def test_home_page_renders_styled_and_accessible(page, live_server, axe) -> None:
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    response = page.goto(live_server.url + "/")

    assert response.status == 200
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Partnerships and their procedures"
    # GOV.UK Frontend's stylesheet loaded: the heading uses its font stack.
    assert "GDS Transport" in heading.evaluate("element => getComputedStyle(element).fontFamily")
    # GOV.UK Frontend's JavaScript ran: the enhancement marker is on the body.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert failed == [], f"assets that did not load: {failed}"
    page.get_by_role("link", name="Greenwich Safeguarding Children Board").click()
    assert "Request for an Initial Child Protection Conference refused" in page.content()
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

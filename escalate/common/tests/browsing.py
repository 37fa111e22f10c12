"""What the sign-in journeys' browser tests share: a page checked with axe, signing in,
and the code an authenticator app would show."""

from __future__ import annotations

from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from escalate.escalations.tests.factories import DEMO_PASSWORD


def app_code(device: TOTPDevice) -> str:
    """The code the person's authenticator app shows now or, if this step's code was used
    already (a second sign-in within the same 30 seconds), the next one, which django-otp
    accepts as one step of drift: a code is never accepted twice."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t >= totp.t():
        totp.time += device.step * (device.last_t - totp.t() + 1)
    return f"{totp.token():06d}"


class Browser:
    def __init__(self, page: Any, live_server: Any, axe: Any) -> None:
        self.page, self.base, self.axe = page, live_server.url, axe

    def check(self, heading: str) -> None:
        """The page has this heading and no accessibility violations."""
        self.page.wait_for_load_state("load")
        expect(self.page.get_by_role("heading", level=1)).to_have_text(heading)
        results = self.axe.run(self.page)
        assert results.violations_count == 0, f"{heading}: {results.generate_report()}"

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.page.goto(f"{self.base}/sign-in/")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def sign_in_with_app(self, email: str, device: TOTPDevice) -> None:
        self.sign_in(email)
        self.page.get_by_label("Code from your authenticator app").fill(app_code(device))
        self.page.get_by_role("button", name="Continue").click()
        self.page.wait_for_load_state("load")

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Sign in")

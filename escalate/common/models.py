from __future__ import annotations

from typing import Any

from django_otp.models import Device


class OrganisationSignIn(Device):  # type: ignore[misc]
    """Stands for "this session signed in through the organisation's account, with MFA".

    django-otp counts a session as verified when the session names the device that
    verified it. When Microsoft Entra ID reports that the person passed multi-factor
    authentication (``amr`` includes ``mfa``), the sign-in names this device, so the
    second-factor rule is met without asking for Escalate's own code as well. It checks no
    code itself, so it never helps a password sign-in past the second factor.
    """

    class Meta:
        verbose_name = "organisation sign-in with MFA"

    def __str__(self) -> str:
        return f"Organisation sign-in with MFA (user {self.user_id})"

    def verify_token(self, token: Any) -> bool:
        return False

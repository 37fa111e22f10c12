from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models
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


def _secret_box() -> MultiFernet:
    """Fernet keys from ESCALATE_SIGN_IN_SECRET_KEYS, newest first (older ones only decrypt,
    so a key can be rotated); without any, one derived from SECRET_KEY (see sign_in.py)."""
    keys = [key.strip() for key in settings.ESCALATE_SIGN_IN_SECRET_KEYS.split(",") if key.strip()]
    if not keys:
        digest = hashlib.sha256(f"sign-in-provider:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


class SignInProvider(models.Model):
    """A partnership's own OpenID Connect provider (its Microsoft Entra ID tenant, usually).

    Its people sign in through it (``escalate.common.oidc``): the ID token must come from
    ``issuer``, be issued to ``client_id`` and be signed with a key from ``jwks_endpoint``;
    the account's email must be at one of its domains and belong to a person of its
    partnership. Set with ``escalate set_sign_in_provider`` until issue 14's settings pages.
    """

    partnership = models.OneToOneField(
        "policies.Partnership", on_delete=models.CASCADE, related_name="sign_in_provider"
    )
    display_name = models.CharField(
        max_length=200, help_text="What the sign-in page calls it, e.g. 'Hackney Council'."
    )
    issuer = models.URLField(max_length=500, help_text="The ID token's 'iss', exactly.")
    authorization_endpoint = models.URLField(max_length=500)
    token_endpoint = models.URLField(max_length=500)
    jwks_endpoint = models.URLField(max_length=500)
    userinfo_endpoint = models.URLField(max_length=500, blank=True)
    client_id = models.CharField(max_length=200)
    client_secret_encrypted = models.TextField(
        editable=False, help_text="Encrypted with ESCALATE_SIGN_IN_SECRET_KEYS; never shown."
    )
    trusts_mfa = models.BooleanField(
        default=True,
        help_text="Whether the provider's own multi-factor authentication ('amr' includes "
        "'mfa') counts as Escalate's second factor.",
    )
    is_enabled = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partnership__name"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.partnership_id})"

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_encrypted = _secret_box().encrypt(secret.encode()).decode()

    def client_secret(self) -> str:
        """The secret, decrypted; raises ``cryptography.fernet.InvalidToken`` if no key in
        ESCALATE_SIGN_IN_SECRET_KEYS opens it (a key was dropped too soon)."""
        return _secret_box().decrypt(self.client_secret_encrypted.encode()).decode()

    def allows_email(self, email: str) -> bool:
        domain = email.rpartition("@")[2].strip().lower()
        return bool(domain) and self.domains.filter(domain=domain).exists()


class SignInDomain(models.Model):
    """An email domain whose accounts may sign in through a provider. Several partnerships'
    providers may share one (nhs.net), so a domain can lead to a choice of partnership."""

    provider = models.ForeignKey(SignInProvider, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, db_index=True, help_text="Lower case, no '@'.")

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "domain"], name="one_row_per_domain")
        ]

    def __str__(self) -> str:
        return self.domain

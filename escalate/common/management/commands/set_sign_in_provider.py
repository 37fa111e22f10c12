"""Give a partnership its own sign-in provider, or change it (decision 17).

    escalate set_sign_in_provider nel --entra-tenant TENANT --client-id APP_ID \
        --domain hackney.gov.uk --domain nhs.net --display-name "Hackney Council"

The client secret is read from the environment variable named by --client-secret-env
(ESCALATE_SIGN_IN_CLIENT_SECRET unless told), or from standard input with
--client-secret-stdin, never from the command line, where it would stay in the shell's
history; it is stored encrypted and never printed. Only what is given changes, so
``--disable`` alone turns a provider off. Issue 14 brings the same as settings pages.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.common.oidc import ProviderRefused, discover_provider, set_sign_in_provider
from escalate.policies.models import Partnership

_ENTRA = "https://login.microsoftonline.com/{tenant}"


def _entra(tenant: str) -> dict[str, str]:
    base = _ENTRA.format(tenant=tenant)
    return {
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "jwks_endpoint": f"{base}/discovery/v2.0/keys",
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
    }


class Command(BaseCommand):
    help = "Set a partnership's own OpenID Connect sign-in provider (its Entra ID tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partnership", help="The partnership's slug, e.g. nel.")
        parser.add_argument("--display-name")
        found = parser.add_mutually_exclusive_group()
        found.add_argument("--entra-tenant", help="Fills in the issuer and every endpoint.")
        found.add_argument("--discovery-url", help="Read them from .well-known, once, now.")
        for name in ("issuer", "authorization-endpoint", "token-endpoint", "jwks-endpoint"):
            parser.add_argument(f"--{name}")
        parser.add_argument("--userinfo-endpoint")
        parser.add_argument("--client-id")
        parser.add_argument("--client-secret-env", default="ESCALATE_SIGN_IN_CLIENT_SECRET")
        parser.add_argument("--client-secret-stdin", action="store_true")
        parser.add_argument(
            "--domain",
            action="append",
            dest="domains",
            help="An email domain it signs in; repeat for each. Replaces the ones it had.",
        )
        parser.add_argument(
            "--trust-mfa",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Whether the provider's own MFA counts as Escalate's second factor.",
        )
        parser.add_argument("--enable", action="store_true", default=None, dest="is_enabled")
        parser.add_argument("--disable", action="store_false", dest="is_enabled")

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            raise CommandError(f"No partnership is called {options['partnership']!r}.")
        values: dict[str, Any] = {}
        try:
            if options["entra_tenant"]:
                values.update(_entra(options["entra_tenant"]))
            elif options["discovery_url"]:
                values.update(discover_provider(options["discovery_url"]))
        except (requests.RequestException, KeyError, ValueError) as problem:
            raise CommandError(f"The discovery document could not be read: {problem}") from None
        for name in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_endpoint",
            "userinfo_endpoint",
            "display_name",
            "client_id",
            "is_enabled",
        ):
            if options[name] is not None:
                values[name] = options[name]
        if options["trust_mfa"] is not None:
            values["trusts_mfa"] = options["trust_mfa"]
        if options["client_secret_stdin"]:
            secret = sys.stdin.readline().strip()
        else:
            secret = os.environ.get(options["client_secret_env"], "")
        try:
            provider = set_sign_in_provider(
                partnership=partnership,
                client_secret=secret or None,
                domains=options["domains"],
                **values,
            )
        except ProviderRefused as refused:
            raise CommandError(str(refused)) from None
        domains = ", ".join(provider.domains.values_list("domain", flat=True))
        state = "enabled" if provider.is_enabled else "disabled"
        self.stdout.write(
            f"{partnership.name} signs in through {provider.display_name} ({state}): "
            f"issuer {provider.issuer}, client {provider.client_id}, domains {domains}."
        )

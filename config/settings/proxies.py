"""The reverse proxies in front of Escalate, whose X-Forwarded-For it believes (issue 15).

ESCALATE_TRUSTED_PROXIES lists the proxies' addresses or networks, comma-separated
(``10.0.0.5,10.1.0.0/16``). A request from one of them is taken to come from the last
address in X-Forwarded-For that is not itself a trusted proxy; a request from anywhere else
is taken to come from its own address, whatever it claims. Empty (the default): nothing in
X-Forwarded-For is believed. The rule is ``escalate.common.client_address`` (decision 26);
sign-in lockout, the read trail and the API's rate limit all use it.

Imported at the end of ``base.py``; the environment is read there, through env().
"""

from ipaddress import ip_network

from django.core.exceptions import ImproperlyConfigured

from .base import env

__all__ = ["AXES_CLIENT_IP_CALLABLE", "ESCALATE_TRUSTED_PROXIES"]


def trusted_proxies_from(text: str) -> list[str]:
    """The comma-separated entries, each checked to be an address or a network.

    A typo must stop the start: ignored, it would quietly lock out everyone behind the proxy
    (or, for a network written too wide, believe headers from clients).
    """
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    for entry in entries:
        try:
            ip_network(entry)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"ESCALATE_TRUSTED_PROXIES: {entry!r} is not an address or a network ({error})."
            ) from error
    return entries


ESCALATE_TRUSTED_PROXIES = trusted_proxies_from(env("ESCALATE_TRUSTED_PROXIES") or "")

# django-axes counts failed sign-ins per address with the same rule as everything else,
# in place of its own (django-ipware's, or REMOTE_ADDR).
AXES_CLIENT_IP_CALLABLE = "escalate.common.client_address.client_address"

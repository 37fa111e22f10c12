"""Which address a request came from, believing X-Forwarded-For only from our own proxies.

Sign-in lockout, the read trail and the API's per-address rate limit all ask
``client_address(request)`` (decision 26). A proxy appends the address it was reached from
to the right of X-Forwarded-For, so the header is read from the right: each hop that is one
of ``ESCALATE_TRUSTED_PROXIES`` vouches for the one to its left, and the first hop that is
not a trusted proxy is the client. Anything further left was written by the client itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any, Protocol

from django.conf import settings

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


class HasMeta(Protocol):
    """A Django ``HttpRequest`` or a DRF ``Request``: both carry the WSGI environ."""

    @property
    def META(self) -> Mapping[str, Any]: ...


def client_address(request: HasMeta) -> str:
    """The client's address (normalised), or REMOTE_ADDR as given when that is no address.

    Used as django-axes' ``AXES_CLIENT_IP_CALLABLE`` too, so it must take the request alone.
    """
    return address_behind_proxies(
        remote_addr=request.META.get("REMOTE_ADDR") or "",
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR") or "",
        trusted=trusted_networks(tuple(settings.ESCALATE_TRUSTED_PROXIES)),
    )


def address_behind_proxies(
    *, remote_addr: str, forwarded_for: str, trusted: Iterable[Network]
) -> str:
    """The right-most address in the chain REMOTE_ADDR <- X-Forwarded-For that is not trusted.

    Only a trusted peer's header is read. A malformed hop ends the walk at the last address
    a trusted proxy vouched for: nothing left of a hop we cannot read is believed.
    """
    trusted = tuple(trusted)
    peer = parse_hop(remote_addr)
    if peer is None:
        return remote_addr
    current = peer
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(current, trusted):
            break
        vouched_for = parse_hop(hop)
        if vouched_for is None:
            break
        current = vouched_for
    return str(current)


def parse_hop(text: str) -> Address | None:
    """An address from one X-Forwarded-For entry, or None if it is not one.

    Some proxies (Azure Application Gateway among them) add the client's port, as
    ``203.0.113.7:51234`` or ``[2001:db8::7]:51234``; the port is dropped. An IPv4 address
    mapped into IPv6 (``::ffff:203.0.113.7``, from a dual-stack socket) is read as IPv4, so
    one client is one address whichever way it arrived.
    """
    text = text.strip()
    if text.startswith("["):
        host, bracket, _port = text[1:].partition("]")
        text = host if bracket else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """ESCALATE_TRUSTED_PROXIES as networks; a bare address is a network of one.

    ``config/settings/proxies.py`` refuses a malformed entry at start-up, so this cannot
    meet one from the environment.
    """
    return tuple(ip_network(entry.strip()) for entry in entries)


def _is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address in network for network in trusted)

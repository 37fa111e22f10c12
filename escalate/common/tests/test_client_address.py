"""Which address a request came from: X-Forwarded-For is believed only from our own proxies,
read from the right, and never past a hop that is not one of them or cannot be read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from config.settings.proxies import trusted_proxies_from
from escalate.common.client_address import (
    address_behind_proxies,
    client_address,
    trusted_networks,
)

PROXY = "10.0.0.5"
PROXIES = ("10.0.0.5", "10.1.0.0/16", "2001:db8:ffff::/48")

CASES = [
    # (remote_addr, X-Forwarded-For, trusted proxies, the client's address)
    ("198.51.100.9", "", PROXIES, "198.51.100.9"),
    ("198.51.100.9", "203.0.113.7", PROXIES, "198.51.100.9"),
    (PROXY, "203.0.113.7", PROXIES, "203.0.113.7"),
    (PROXY, "203.0.113.66, 203.0.113.7", PROXIES, "203.0.113.7"),
    (PROXY, "10.0.0.5, 203.0.113.7", PROXIES, "203.0.113.7"),
    (PROXY, "203.0.113.7, 10.1.2.3", PROXIES, "203.0.113.7"),
    (PROXY, "203.0.113.66, 203.0.113.7, 10.1.2.3", PROXIES, "203.0.113.7"),
    (PROXY, "10.1.9.9, 10.1.2.3", PROXIES, "10.1.9.9"),
    (PROXY, "", PROXIES, PROXY),
    (PROXY, " , ", PROXIES, PROXY),
    (PROXY, "203.0.113.7, not-an-address", PROXIES, PROXY),
    (PROXY, "203.0.113.7, unknown, 10.1.2.3", PROXIES, "10.1.2.3"),
    (PROXY, "not-an-address, 203.0.113.7", PROXIES, "203.0.113.7"),
    (PROXY, "203.0.113.7, 999.1.1.1", PROXIES, PROXY),
    (PROXY, "203.0.113.7", (), PROXY),
    ("198.51.100.9", "203.0.113.7", (), "198.51.100.9"),
    ("2001:db8:ffff::1", "2001:db8:1::7", PROXIES, "2001:db8:1::7"),
    ("2001:db8:ffff::1", "2001:db8:1::66, 2001:DB8:1:0::7", PROXIES, "2001:db8:1::7"),
    ("2001:db8:1::9", "2001:db8:1::7", PROXIES, "2001:db8:1::9"),
    (PROXY, "2001:db8:1::7, 2001:db8:ffff::2", PROXIES, "2001:db8:1::7"),
    ("2001:db8:ffff::1", "203.0.113.7", PROXIES, "203.0.113.7"),
    ("::ffff:10.0.0.5", "203.0.113.7", PROXIES, "203.0.113.7"),
    (PROXY, "::ffff:203.0.113.7", PROXIES, "203.0.113.7"),
    (PROXY, "203.0.113.7:51234", PROXIES, "203.0.113.7"),
    (PROXY, "[2001:db8:1::7]:51234", PROXIES, "2001:db8:1::7"),
    (PROXY, "[2001:db8:1::7", PROXIES, PROXY),
    ("::a00:5", "203.0.113.7", ("10.0.0.0/8",), "::a00:5"),
    ("", "203.0.113.7", PROXIES, ""),
    ("unix-socket", "203.0.113.7", PROXIES, "unix-socket"),
]
IDS = [
    "no header: the peer",
    "untrusted peer: its header is ignored",
    "trusted proxy: the client it saw",
    "attacker-prepended value: ignored",
    "attacker prepends the proxy's own address: still the client",
    "two proxies: the hop before the inner one",
    "two proxies and a prepended value: the client",
    "only proxies in the chain: the farthest",
    "trusted proxy, no header: the proxy",
    "trusted proxy, blank entries: the proxy",
    "malformed right-most hop: the proxy, nothing left of it",
    "malformed hop between proxies: the last proxy that vouched",
    "malformed value left of the client: never reached",
    "out-of-range address: malformed",
    "empty list: the header is never believed",
    "empty list, untrusted peer: the peer",
    "IPv6 proxy and client",
    "IPv6 written differently: normalised",
    "IPv6 untrusted peer: its header is ignored",
    "IPv4 proxy, IPv6 proxy, IPv6 client",
    "IPv6 proxy, IPv4 client",
    "IPv4-mapped IPv6 peer: trusted as its IPv4 address",
    "IPv4-mapped IPv6 client: read as IPv4",
    "IPv4 hop with a port",
    "IPv6 hop with a port",
    "unclosed bracket: malformed",
    "an IPv6 peer is never inside an IPv4 network",
    "no peer address at all",
    "a peer that is not an address: as given",
]


@pytest.mark.parametrize(("remote_addr", "forwarded_for", "trusted", "expected"), CASES, ids=IDS)
def test_the_client_is_the_right_most_untrusted_hop(
    remote_addr: str, forwarded_for: str, trusted: tuple[str, ...], expected: str
) -> None:
    assert (
        address_behind_proxies(
            remote_addr=remote_addr,
            forwarded_for=forwarded_for,
            trusted=trusted_networks(trusted),
        )
        == expected
    )


@override_settings(ESCALATE_TRUSTED_PROXIES=[PROXY])
def test_a_request_through_the_proxy_comes_from_its_client(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66, 203.0.113.7")

    assert client_address(request) == "203.0.113.7"


@override_settings(ESCALATE_TRUSTED_PROXIES=[PROXY])
def test_a_request_from_elsewhere_comes_from_itself_whatever_it_claims(
    rf: RequestFactory,
) -> None:
    request = rf.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert client_address(request) == "198.51.100.9"


@override_settings(ESCALATE_TRUSTED_PROXIES=[])
def test_with_no_trusted_proxies_the_header_is_never_believed(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert client_address(request) == PROXY


def test_the_setting_reads_addresses_and_networks_from_the_environment() -> None:
    assert trusted_proxies_from(" 10.0.0.5 , 10.1.0.0/16,,2001:db8::/32 ") == [
        "10.0.0.5",
        "10.1.0.0/16",
        "2001:db8::/32",
    ]
    assert trusted_proxies_from("") == []


@pytest.mark.parametrize("typo", ["10.0.0.256", "10.1.0.5/16", "proxy.internal", "10.0.0.5;"])
def test_a_malformed_trusted_proxy_stops_the_start(typo: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="ESCALATE_TRUSTED_PROXIES"):
        trusted_proxies_from(f"10.0.0.5,{typo}")

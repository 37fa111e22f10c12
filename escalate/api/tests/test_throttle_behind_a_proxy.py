"""The API's per-address rate limit counts each client behind our proxy on its own, and a
client's own X-Forwarded-For never moves its requests onto someone else's count.

A caller without a token or a session is counted by address. Every resource refuses such a
caller before its rate is counted, so this is the throttle itself, with a real DRF request
from a real WSGI environ (the conftest gives every test a fresh count)."""

from __future__ import annotations

from django.test import RequestFactory, override_settings
from rest_framework.request import Request

from escalate.api.throttling import TokenRateThrottle

PROXY = "10.0.0.5"
ONE_A_MINUTE = {"read": "1/minute", "write": "1/minute"}


def _allowed(rf: RequestFactory, *, remote_addr: str, forwarded_for: str = "") -> bool:
    """One anonymous read, as DRF's view would check it."""
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = Request(rf.get("/api/v1/partnerships/", REMOTE_ADDR=remote_addr, **extra))
    return TokenRateThrottle().allow_request(request, view=None)


@override_settings(ESCALATE_TRUSTED_PROXIES=[PROXY], ESCALATE_API_RATES=ONE_A_MINUTE)
def test_each_client_behind_a_trusted_proxy_has_its_own_count(rf: RequestFactory) -> None:
    assert _allowed(rf, remote_addr=PROXY, forwarded_for="203.0.113.7")
    assert not _allowed(rf, remote_addr=PROXY, forwarded_for="203.0.113.7")

    assert _allowed(rf, remote_addr=PROXY, forwarded_for="203.0.113.8")


@override_settings(ESCALATE_TRUSTED_PROXIES=[PROXY], ESCALATE_API_RATES=ONE_A_MINUTE)
def test_a_value_prepended_by_the_client_does_not_give_it_a_fresh_count(
    rf: RequestFactory,
) -> None:
    assert _allowed(rf, remote_addr=PROXY, forwarded_for="203.0.113.7")

    assert not _allowed(rf, remote_addr=PROXY, forwarded_for="192.0.2.1, 203.0.113.7")


@override_settings(ESCALATE_TRUSTED_PROXIES=[PROXY], ESCALATE_API_RATES=ONE_A_MINUTE)
def test_a_header_from_an_untrusted_client_is_ignored(rf: RequestFactory) -> None:
    assert _allowed(rf, remote_addr="198.51.100.9", forwarded_for="203.0.113.7")

    # Claiming to be someone else neither escapes its own count nor spends theirs.
    assert not _allowed(rf, remote_addr="198.51.100.9", forwarded_for="203.0.113.8")
    assert _allowed(rf, remote_addr=PROXY, forwarded_for="203.0.113.7")


@override_settings(ESCALATE_TRUSTED_PROXIES=[], ESCALATE_API_RATES=ONE_A_MINUTE)
def test_without_trusted_proxies_everyone_behind_the_proxy_is_one_client(
    rf: RequestFactory,
) -> None:
    assert _allowed(rf, remote_addr=PROXY, forwarded_for="203.0.113.7")

    assert not _allowed(rf, remote_addr=PROXY, forwarded_for="203.0.113.8")

"""The API's rate limit counts exactly, whichever process or thread answers: each request is
one atomic increment in the shared cache, over a window that slides (decision 24)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from rest_framework.request import Request

from escalate.api.throttling import TokenRateThrottle, seconds_until_room

TWENTY_A_MINUTE = {"read": "20/minute", "write": "20/minute"}
REDIS = "redis://127.0.0.1:6379/9"


def _throttle_at(moment: float | None = None) -> TokenRateThrottle:
    throttle = TokenRateThrottle()
    if moment is not None:
        throttle.timer = lambda: moment
    return throttle


def _allowed(rf: RequestFactory, throttle: TokenRateThrottle) -> bool:
    request = Request(rf.get("/api/v1/partnerships/", REMOTE_ADDR="203.0.113.7"))
    return throttle.allow_request(request, view=None)


def _hammer(rf: RequestFactory, threads: int, each: int) -> int:
    """``threads`` callers at once, ``each`` requests apiece; how many were let through."""
    allowed: list[bool] = []
    start = threading.Barrier(threads)

    def caller() -> None:
        start.wait()
        for _ in range(each):
            allowed.append(_allowed(rf, _throttle_at()))

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(allowed)


@override_settings(ESCALATE_API_RATES=TWENTY_A_MINUTE)
def test_callers_at_the_same_moment_get_the_limit_and_not_one_more(rf: RequestFactory) -> None:
    assert _hammer(rf, threads=16, each=4) == 20


@pytest.fixture
def shared_redis() -> Iterator[None]:
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs Redis at {REDIS}, as production's shared cache")
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS,
                "KEY_PREFIX": f"throttle-test-{threading.get_ident()}",
            }
        }
    ):
        cache.clear()
        yield
        cache.clear()


@override_settings(ESCALATE_API_RATES=TWENTY_A_MINUTE)
def test_through_redis_as_production_shares_it_the_count_is_exact_too(
    rf: RequestFactory, shared_redis: None
) -> None:
    assert _hammer(rf, threads=16, each=4) == 20


@override_settings(ESCALATE_API_RATES={"read": "10/minute", "write": "10/minute"})
def test_the_window_slides_so_a_full_minute_is_not_followed_by_a_second_one_at_once(
    rf: RequestFactory,
) -> None:
    minute_start = 6_000_000.0  # a whole number of minutes
    late_in_a_minute = [_allowed(rf, _throttle_at(minute_start + 50)) for _ in range(11)]
    at_the_next_minute = _allowed(rf, _throttle_at(minute_start + 60))
    half_way_through_it = [_allowed(rf, _throttle_at(minute_start + 90)) for _ in range(6)]

    assert late_in_a_minute == [True] * 10 + [False]
    assert not at_the_next_minute  # the ten are still within the last 60 seconds
    assert half_way_through_it == [True] * 5 + [False]  # half of them have slid out


@override_settings(ESCALATE_API_RATES={"read": "2/minute", "write": "2/minute"})
def test_refused_requests_do_not_count_against_the_caller(rf: RequestFactory) -> None:
    minute_start = 6_000_000.0
    for _ in range(2 + 50):
        _allowed(rf, _throttle_at(minute_start + 10))

    assert _allowed(rf, _throttle_at(minute_start + 120))  # only the two allowed ones count


@override_settings(ESCALATE_API_RATES={"read": "2/minute", "write": "2/minute"})
def test_a_refused_caller_is_told_how_long_to_wait(rf: RequestFactory) -> None:
    throttle = _throttle_at(6_000_000.0 + 15)
    _allowed(rf, throttle)
    _allowed(rf, throttle)

    assert not _allowed(rf, throttle)
    assert throttle.wait() == 45  # the rest of the minute


def test_the_wait_is_until_enough_of_the_previous_window_has_slid_out() -> None:
    # Ten last minute, none yet in this one, limit 10: the eleventh fits once a tenth of the
    # previous minute has slid out, at 6 s.
    assert seconds_until_room(
        previous=10, current=0, elapsed=0, limit=10, duration=60
    ) == pytest.approx(6)
    assert seconds_until_room(
        previous=10, current=4, elapsed=0, limit=10, duration=60
    ) == pytest.approx(30)
    assert seconds_until_room(
        previous=0, current=10, elapsed=20, limit=10, duration=60
    ) == pytest.approx(40)

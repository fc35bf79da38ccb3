import json

import pytest
from aiohttp import web

from server.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock) -> Throttle:
    return Throttle(per_minute=6, burst=3, what="wrong tokens", clock=clock)


def test_a_key_is_refused_with_retry_after_once_its_burst_is_used_up():
    clock = Clock()
    limit = throttle(clock)
    for _ in range(3):
        limit.take("a")

    with pytest.raises(web.HTTPTooManyRequests) as refused:
        limit.take("a")

    assert refused.value.headers["Retry-After"] == "10"  # 6 a minute: one every 10 s
    assert json.loads(refused.value.text) == {"error": "too many wrong tokens: try again in 10 s"}


def test_one_keys_excess_does_not_touch_another_key():
    clock = Clock()
    limit = throttle(clock)
    for _ in range(3):
        limit.spend("a")

    with pytest.raises(web.HTTPTooManyRequests):
        limit.check("a")
    limit.check("b")


def test_checking_uses_nothing_up_and_the_allowance_comes_back_with_time():
    clock = Clock()
    limit = throttle(clock)
    for _ in range(100):
        limit.check("a")
    for _ in range(3):
        limit.spend("a")
    with pytest.raises(web.HTTPTooManyRequests):
        limit.check("a")

    clock.now += 10
    limit.check("a")
    limit.take("a")
    with pytest.raises(web.HTTPTooManyRequests):
        limit.take("a")

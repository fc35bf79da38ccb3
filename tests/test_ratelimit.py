import pytest

from server.ratelimit import BucketsByKey, TokenBucket


def test_a_bucket_allows_a_burst_then_refuses():
    bucket = TokenBucket(rate=1, burst=3)

    assert [bucket.allow(100.0) for _ in range(4)] == [True, True, True, False]


def test_a_bucket_refills_at_its_rate_up_to_the_burst():
    bucket = TokenBucket(rate=2, burst=3)
    for _ in range(3):
        bucket.allow(0.0)

    assert bucket.allow(0.4) is False
    assert bucket.allow(0.5) is True  # 0.5 s at 2 a second: one token back
    assert [bucket.allow(100.0) for _ in range(4)] == [True, True, True, False]


def test_a_bucket_says_how_long_until_its_next_token():
    bucket = TokenBucket(rate=0.5, burst=1)
    bucket.allow(10.0)

    assert bucket.wait_seconds(10.0) == 2.0
    assert bucket.wait_seconds(11.5) == pytest.approx(0.5)
    assert bucket.wait_seconds(12.0) == 0.0


def test_buckets_by_key_forget_full_buckets_first_and_stay_within_their_bound():
    buckets = BucketsByKey(rate=1, burst=2, max_keys=3)
    buckets.bucket("busy", 0.0).allow(0.0)
    buckets.bucket("idle", 0.0)
    buckets.bucket("other", 0.0).allow(0.0)

    buckets.bucket("new", 0.5)  # "idle" is full and remembers nothing: it goes

    assert len(buckets) == 3
    assert buckets.bucket("busy", 0.5).tokens == pytest.approx(1.5)
    for key in range(100):
        buckets.bucket(key, 0.5).allow(0.5)
    assert len(buckets) == 3

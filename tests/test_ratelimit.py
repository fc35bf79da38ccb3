from server.ratelimit import TokenBucket


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

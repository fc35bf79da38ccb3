"""Wrong admin tokens at sign-in, counted per client address."""

from server.sign_in_attempts import FailedSignIns


def test_failed_sign_ins_count_per_address_and_age_out():
    failures = FailedSignIns(allowed=2, window_seconds=60)

    failures.failed("192.0.2.1", now=0)
    failures.failed("192.0.2.1", now=10)

    assert failures.wait_seconds("192.0.2.1", now=11) == 49
    assert failures.wait_seconds("192.0.2.2", now=11) == 0
    assert failures.wait_seconds("192.0.2.1", now=60) == 0  # the first is a minute old


def test_failed_sign_ins_remember_a_bounded_number_of_addresses():
    failures = FailedSignIns(allowed=1, max_addresses=2)

    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        failures.failed(address, now=0)

    assert failures.wait_seconds("192.0.2.1", now=1) == 0  # forgotten, the oldest
    assert failures.wait_seconds("192.0.2.3", now=1) > 0

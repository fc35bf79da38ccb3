"""The shell's clock (server/clock.py): the manual one tests drive, and the system's."""

import asyncio

from server.clock import ManualClock, SystemClock, sleep


async def test_a_manual_clock_runs_what_falls_due_in_order_at_its_time():
    clock = ManualClock(1000.0)
    fired: list[tuple[str, float]] = []
    clock.call_at(1010.0, lambda: fired.append(("b", clock.now())))
    clock.call_later(5.0, lambda: fired.append(("a", clock.now())))
    cancelled = clock.call_later(7.0, lambda: fired.append(("cancelled", clock.now())))
    cancelled.cancel()

    clock.advance(9.0)
    assert fired == [("a", 1005.0)]
    assert (clock.now(), clock.monotonic()) == (1009.0, 1009.0)

    clock.advance(60.0)
    assert fired == [("a", 1005.0), ("b", 1010.0)]
    assert clock.now() == 1069.0


async def test_a_manual_clock_runs_what_is_due_already_at_once():
    clock = ManualClock(1000.0)
    fired = asyncio.Event()

    clock.call_at(999.0, fired.set)

    await asyncio.wait_for(fired.wait(), 1)


async def test_the_system_clock_fires_a_wall_time_deadline():
    clock = SystemClock()
    fired = asyncio.Event()

    clock.call_at(clock.now() + 0.01, fired.set)

    await asyncio.wait_for(fired.wait(), 5)
    assert clock.monotonic() > 0


async def test_sleeping_on_a_manual_clock_ends_when_the_clock_is_moved():
    clock = ManualClock(1000.0)
    sleeper = asyncio.ensure_future(sleep(clock, 3600.0))
    await asyncio.sleep(0)
    assert not sleeper.done()

    clock.advance(3600.0)

    await asyncio.wait_for(sleeper, 1)

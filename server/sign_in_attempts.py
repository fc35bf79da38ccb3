"""Wrong admin tokens at sign-in, counted per client address: a few, then a pause.

Brute-forcing the token through ``POST /api/signin`` then takes forever: after
``allowed`` wrong tokens within ``window_seconds`` an address is refused (429) until the
oldest of them is that old, whatever it sends, the right token included.
"""

from __future__ import annotations

from collections import OrderedDict, deque

__all__ = ["FailedSignIns"]


class FailedSignIns:
    """Recent failed sign-ins per client address, for at most ``max_addresses`` addresses."""

    def __init__(
        self, *, allowed: int = 5, window_seconds: float = 60.0, max_addresses: int = 10_000
    ) -> None:
        self._allowed = allowed
        self._window = window_seconds
        self._max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def wait_seconds(self, address: str, now: float) -> float:
        """How long ``address`` must wait before it may try again (0: it may now)."""
        failures = self._recent(address, now)
        if len(failures) < self._allowed:
            return 0.0
        return failures[0] + self._window - now

    def failed(self, address: str, now: float) -> None:
        """Count a wrong token from ``address`` at ``now`` (a monotonic clock)."""
        failures = self._recent(address, now)
        failures.append(now)
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > self._max_addresses:
            self._failures.popitem(last=False)  # forget the address quiet the longest

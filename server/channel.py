"""What a delivery channel is: a way to get a summary (and perhaps a concern) to the MPM."""

from __future__ import annotations

import json
from typing import Protocol, runtime_checkable

from analytics.outgoing import ConcernAlert
from analytics.report import to_json
from analytics.summary import Summary

__all__ = ["AlertChannel", "Channel", "PermanentDeliveryError", "summary_json_bytes"]


class PermanentDeliveryError(Exception):
    """A delivery that fails the same way however often it is tried."""


class Channel(Protocol):
    """A way to get a summary to the MPM; ``deliver`` raises when it did not arrive."""

    @property
    def name(self) -> str: ...

    async def deliver(self, summary: Summary) -> None: ...


@runtime_checkable
class AlertChannel(Channel, Protocol):
    """A channel that can also pass a concern on to the MPM at once, during the meeting."""

    async def alert(self, alert: ConcernAlert) -> None: ...


def summary_json_bytes(summary: Summary) -> bytes:
    """The JSON body every channel sends: stable key order, UTF-8."""
    return json.dumps(to_json(summary), ensure_ascii=False, sort_keys=True).encode()

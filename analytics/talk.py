"""Talk time: how long each participant spoke, from the speaking edges their browsers report.

Only time after the session clock started counts; an open stretch is closed when the
speaker leaves or the session ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Talk", "start_speaking", "stop_speaking", "talk_share"]


@dataclass(frozen=True, kw_only=True)
class Talk:
    """One participant's talking so far."""

    seconds: float = 0.0
    speaking_since: float | None = None

    def seconds_at(self, now: float) -> float:
        """Talk time including a stretch still running at ``now``."""
        running = now - self.speaking_since if self.speaking_since is not None else 0.0
        return self.seconds + max(0.0, running)


def start_speaking(talk: Talk, at: float) -> Talk:
    """The participant started talking at ``at`` (a repeated start changes nothing)."""
    return talk if talk.speaking_since is not None else replace(talk, speaking_since=at)


def stop_speaking(talk: Talk, at: float) -> Talk:
    """The participant stopped talking at ``at``."""
    return Talk(seconds=talk.seconds_at(at), speaking_since=None)


def talk_share(mine: float, theirs: float) -> float | None:
    """My share of all talking (0..1), or ``None`` when nobody talked."""
    total = mine + theirs
    return mine / total if total > 0 else None

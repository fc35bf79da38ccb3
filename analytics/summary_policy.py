"""The thresholds a summary's flags are judged by."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SummaryPolicy"]


@dataclass(frozen=True, kw_only=True)
class SummaryPolicy:
    """Thresholds for flags; the defaults are documented in the README."""

    # Camera flags never rest on time the server could not see the camera: for them, that
    # time counts as if the camera had been on with a face in view.
    min_camera_on_share: float = 0.6
    max_not_in_view_share: float = 0.4
    min_agenda_coverage: float = 0.5
    late_start_minutes: float = 5.0
    ended_early_grace_minutes: float = 1.0
    max_talk_share: float = 0.8
    min_talk_seconds_for_balance: float = 60.0
    interrupted_after_reconnects: int = 2
    overrun_flag_minutes: float = 10.0

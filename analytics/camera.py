"""Is a participant's camera on, and is someone in front of it: the camera tracker.

:class:`CameraTracker` is a frozen dataclass that folds what the frames showed (a
:class:`analytics.frames.FrameReading` per analysed frame), what the browser says about its
track, and the passing of time into one of four states — ``on`` (a face is seen),
``no_face`` (the camera shows a live picture but nobody in it), ``off`` (the browser said
so, or the frames are black or frozen) and ``unknown`` (the server has no picture to judge:
no uplink, no frame yet, or none for a while) — with hysteresis, so that a blink, a turned
head or one bad frame does not flip it. Only evidence makes ``off``; missing frames are no
evidence of anything.

Hysteresis delays the state, not what it is credited with: a new state carries ``since``,
when the evidence for it began, and the camera record books it from there.

The face detector is the one costly check, so it runs only when :func:`face_check_due`
says so: on every analysed frame while the state may be changing, once a second while a
face is in view (looking first where it was last seen, which is cheap), and seldom while
nobody is (those checks search the whole frame). A face that leaves is noticed at the
first check, not the first to miss it, at least ``face_lost_seconds`` after the last check
that saw it, whatever the check rate.

Nothing here reads a clock: every update takes the timestamp of what it observes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from analytics.camera_time import CameraRecord
from analytics.events import CameraState
from analytics.frames import Box, FrameReading

__all__ = [
    "CameraConfig",
    "CameraTracker",
    "face_check_due",
    "observe_frame",
    "observe_report",
    "observe_time",
    "observe_uplink_closed",
    "tracker_from_record",
]


@dataclass(frozen=True, kw_only=True)
class CameraConfig:
    """How the analytics uplink is throttled and how its frames are judged."""

    # The browser throttles its uplink at the sender to these (setParameters).
    max_fps: float = 2.0
    max_width: int = 320
    # Bits per second, 0 for no cap. Uncapped, Chrome spends up to 600 kbit/s on 320x240
    # however few frames it sends; a few kilobytes a frame show a face as well, and every
    # packet saved is one less to decrypt and reassemble in Python.
    max_bitrate: int = 60_000
    # A frame is black when less than ``lit_share`` of its pixels are brighter than
    # ``dark_level`` (luma, 0-255). A disabled track in Chrome sends black frames; a room
    # too dark to show anything counts the same, a dim one with a lit face does not.
    dark_level: float = 32.0
    lit_share: float = 0.02
    # Mean absolute luma difference (0-255) below which two frames show the same picture.
    # A live camera never gets this low: sensor noise and a breathing person move pixels.
    frozen_diff: float = 0.5
    # A picture that has not changed for this long comes from a frozen camera.
    frozen_after_seconds: float = 10.0
    # Faces smaller than this share of the frame height are not looked for (a face in a
    # video call fills a quarter to a half of the height).
    min_face_fraction: float = 0.15
    # Search the whole frame scaled down first, small enough for the faces of a video
    # call, and again larger only if that finds none (analytics/frames.py); the
    # detector's cost grows with the number of pixels.
    face_downscale: bool = True
    # Look around where the face was last seen first, the whole frame only if it is not
    # there: a few thousand pixels instead of the whole frame.
    face_roi: bool = True
    # How often the face detector runs: while the last check saw a face (once a second:
    # every other frame at the uplink's 2 fps, with room for network jitter; those checks
    # look near the face), and while it saw none (those search the whole frame). While
    # the state may be about to change it runs on every analysed frame, to confirm or
    # dismiss the change quickly.
    face_interval_seconds: float = 0.9
    idle_face_interval_seconds: float = 2.0
    # No frame for this long and the server cannot tell what the camera shows (uplink not
    # connected, stalled or gone): the state is ``unknown``, never ``off``.
    unseen_after_seconds: float = 5.0
    # The camera stops being ``on`` at a check that finds no face, the check before it
    # having found none either, once no check has seen a face for this long. Black frames
    # count as checks without a face. At 2 fps with a check a second: the face is missed
    # by the check a second after it was last seen and by the next frame's, so a face
    # that leaves is noticed half a second to a second and a half later, and a glance
    # away of half a second never counts (one of a second, half the time).
    face_lost_seconds: float = 1.25
    # Any other change the frames point to must hold this long.
    hysteresis_seconds: float = 3.0

    def __post_init__(self) -> None:
        if self.max_fps <= 0 or self.max_width < 2:
            raise ValueError("the uplink needs a frame rate above 0 and a width of 2 or more")
        if not 0 < self.min_face_fraction <= 1:
            raise ValueError("min_face_fraction is a share of the frame height, above 0")

    def sender_limits(self) -> dict[str, float]:
        """What the browser's uplink sender is told to keep to (the ``welcome`` message)."""
        return {
            "max_fps": self.max_fps,
            "max_width": self.max_width,
            "max_bitrate": self.max_bitrate,
        }


@dataclass(frozen=True, kw_only=True)
class CameraTracker:
    """One participant's camera: the reported state and the evidence behind it."""

    # When the uplink carrying the camera opened, ``None`` while there is none: before its
    # first frame, the gap in frames counts from here.
    started_at: float | None = None
    state: CameraState = "unknown"
    # When the evidence for ``state`` began (it became ``state`` later, once it had held).
    since: float | None = None
    # What the evidence says now, and since when; becomes ``state`` once it has held.
    pending: CameraState = "unknown"
    pending_since: float | None = None
    # The browser said its track is disabled, muted or ended.
    reported_off: bool = False
    last_frame_at: float | None = None
    dark: bool = False
    # Since when the picture has not changed (the first frame of the unchanged run).
    still_since: float | None = None
    # What the last face check found, when, and when and where it last saw a face.
    face: bool = False
    face_checked_at: float | None = None
    face_seen_at: float | None = None
    face_box: Box | None = None


def face_check_due(tracker: CameraTracker, at: float, config: CameraConfig) -> bool:
    """Whether the frame arriving at ``at`` should go through the face detector."""
    if tracker.face_checked_at is None or tracker.pending != tracker.state:
        return True  # the state may be about to change: confirm or dismiss it now
    interval = config.face_interval_seconds if tracker.face else config.idle_face_interval_seconds
    return at - tracker.face_checked_at >= interval


def _evidence(
    tracker: CameraTracker, at: float, config: CameraConfig
) -> tuple[CameraState, float | None]:
    """The state the evidence points to at ``at`` and, for evidence that needs no
    hysteresis, since when it has pointed there (``None``: from the frame at hand)."""
    # What the browser says and how long frames have been missing or frozen are already
    # deliberate or drawn-out signals: they apply at once. Single frames do not.
    if tracker.reported_off:
        return "off", at
    if tracker.started_at is None:  # no uplink: no picture since the last one, if any
        return "unknown", at if tracker.last_frame_at is None else tracker.last_frame_at
    seen = tracker.last_frame_at if tracker.last_frame_at is not None else tracker.started_at
    if at - seen >= config.unseen_after_seconds:
        return "unknown", seen
    if tracker.still_since is not None and at - tracker.still_since >= config.frozen_after_seconds:
        return "off", tracker.still_since
    if tracker.last_frame_at is None:
        # A new uplink's first frame is on its way: until it comes, or the gap grows too
        # long, the state stands, as it does between two frames.
        return tracker.state, at
    if tracker.dark:
        return "off", None
    return ("on" if tracker.face else "no_face"), None


def _settle(tracker: CameraTracker, at: float, config: CameraConfig) -> CameraTracker:
    pending, began = _evidence(tracker, at, config)
    pending_since = tracker.pending_since
    if pending != tracker.pending or pending_since is None:
        pending_since = at if began is None else began
    state, since = tracker.state, tracker.since
    if pending != state and (began is not None or _held(tracker, pending_since, at, config)):
        state, since = pending, pending_since
    return replace(tracker, state=state, since=since, pending=pending, pending_since=pending_since)


def _held(tracker: CameraTracker, since: float, at: float, config: CameraConfig) -> bool:
    """Whether frames pointing away from the state since ``since`` have done so for long
    enough at ``at``."""
    if tracker.state != "on":
        return at - since >= config.hysteresis_seconds
    # Leaving ``on`` counts from the last sighting of the face, not from the first check
    # that missed it: how soon that check came depends on the check rate, and the time
    # nobody saw a face is what matters. It is decided at a check (not by the clock alone)
    # and never by the first check that missed, so that one frame, a blink caught at the
    # wrong moment, never decides alone.
    last_seen = tracker.face_seen_at if tracker.face_seen_at is not None else since
    at_a_later_check = tracker.face_checked_at == at and at > since
    return at_a_later_check and at - last_seen >= config.face_lost_seconds


def observe_frame(
    tracker: CameraTracker, reading: FrameReading, config: CameraConfig
) -> CameraTracker:
    """The tracker after an analysed frame."""
    still_since = None
    if reading.still:
        if tracker.still_since is not None:
            still_since = tracker.still_since
        elif tracker.last_frame_at is not None:
            still_since = tracker.last_frame_at
        else:
            still_since = reading.at
    tracker = replace(tracker, last_frame_at=reading.at, dark=reading.dark, still_since=still_since)
    if reading.face:
        tracker = replace(
            tracker,
            face=True,
            face_checked_at=reading.at,
            face_seen_at=reading.at,
            face_box=reading.face_box,
        )
    elif reading.face is not None:
        tracker = replace(tracker, face=False, face_checked_at=reading.at)
    return _settle(tracker, reading.at, config)


def observe_report(
    tracker: CameraTracker, *, live: bool, at: float, config: CameraConfig
) -> CameraTracker:
    """The tracker after the browser said whether its track is live (enabled, unmuted).

    A track that comes back takes back the ``off`` it caused: the camera is ``unknown``
    until its frames have held a verdict for the hysteresis (a picture that stood still
    while the track was off starts afresh).
    """
    if live and tracker.reported_off and tracker.state == "off":
        tracker = replace(
            tracker,
            state="unknown",
            since=at,
            pending="unknown",
            pending_since=at,
            still_since=None,
        )
    return _settle(replace(tracker, reported_off=not live), at, config)


def observe_time(tracker: CameraTracker, now: float, config: CameraConfig) -> CameraTracker:
    """The tracker at ``now``: missing frames make it unknown, pending evidence takes hold."""
    return _settle(tracker, now, config)


def observe_uplink_closed(tracker: CameraTracker, at: float, config: CameraConfig) -> CameraTracker:
    """The tracker once no uplink carries the camera: only what the browser says is left."""
    closed = CameraTracker(
        state=tracker.state,
        since=tracker.since,
        pending=tracker.state,
        pending_since=at,
        reported_off=tracker.reported_off,
        last_frame_at=tracker.last_frame_at,
    )
    return _settle(closed, at, config)


def tracker_from_record(record: CameraRecord, at: float) -> CameraTracker:
    """A tracker at ``at`` without an uplink, in the recorded state, that knows what the
    browser last said: where a new uplink starts from (with its ``started_at``), and what
    a browser's report changes when there is no uplink."""
    return CameraTracker(
        state=record.state,
        since=record.since,
        pending=record.state,
        pending_since=at,
        reported_off=record.report is not None and not record.report.live,
    )

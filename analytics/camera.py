"""Is a participant's camera on, and is someone in front of it?

Two pure layers:

* frame checks on small grayscale frames (``uint8`` numpy arrays): :func:`is_dark`,
  :func:`frame_change` and :func:`has_face`, combined by :func:`read_frame` into a
  :class:`FrameReading`;
* :class:`CameraTracker`, a frozen dataclass that folds readings, what the browser says
  about its track, and the passing of time into one of three states — ``on`` (a face is
  seen), ``no_face`` (the camera shows a live picture but nobody in it) and ``off`` —
  with hysteresis, so that a blink, a turned head or one bad frame does not flip it.

Nothing here reads a clock: every update takes the timestamp of what it observes. The
one file ever read is OpenCV's own face cascade, by :func:`load_face_detector`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from analytics.events import CameraState

__all__ = [
    "CameraConfig",
    "CameraTracker",
    "FrameReading",
    "face_check_due",
    "frame_change",
    "has_face",
    "is_dark",
    "load_face_detector",
    "observe_frame",
    "observe_report",
    "observe_time",
    "read_frame",
]

FACE_CASCADE = "haarcascade_frontalface_default.xml"


@dataclass(frozen=True, kw_only=True)
class CameraConfig:
    """How the analytics uplink is throttled and how its frames are judged."""

    # The browser throttles its uplink at the sender to these (setParameters).
    max_fps: float = 2.0
    max_width: int = 320
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
    # The face detector (the expensive check) runs at most this often per participant.
    face_interval_seconds: float = 1.0
    # Faces smaller than this share of the frame height are not looked for.
    min_face_fraction: float = 0.1
    # No frame for this long means the camera is off (track stopped, uplink gone).
    off_after_seconds: float = 5.0
    # What the frames say must hold this long before the state changes.
    hysteresis_seconds: float = 3.0


@dataclass(frozen=True, kw_only=True)
class FrameReading:
    """What one analysed frame showed, and when it arrived."""

    at: float
    dark: bool
    # The picture is the same as in the previous analysed frame.
    still: bool
    # Whether a face was found; ``None`` when the detector did not run on this frame.
    face: bool | None


def is_dark(gray: np.ndarray, config: CameraConfig) -> bool:
    """The frame is black, or so dark that next to nothing in it can be seen."""
    # Counting lit pixels rather than averaging keeps a dark scene with a bright subject
    # (a face lit by the screen) from passing as black.
    lit = np.count_nonzero(gray > config.dark_level)
    return lit < config.lit_share * gray.size


def frame_change(previous: np.ndarray, current: np.ndarray) -> float:
    """Mean absolute luma difference of two frames; infinite if their sizes differ."""
    if previous.shape != current.shape:
        return math.inf
    return float(cv2.absdiff(previous, current).mean())


def load_face_detector() -> cv2.CascadeClassifier:
    """OpenCV's frontal-face Haar cascade, from the data shipped in the opencv package.

    A classifier must not be shared between threads that detect at the same time: load
    one per thread.
    """
    detector = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / FACE_CASCADE))
    if detector.empty():
        raise RuntimeError(f"cannot load {FACE_CASCADE} from {cv2.data.haarcascades}")
    return detector


def has_face(gray: np.ndarray, detector: cv2.CascadeClassifier, config: CameraConfig) -> bool:
    """A frontal face of a useful size is in the frame."""
    # Equalising first makes the cascade work in dim and washed-out rooms alike.
    equalized = cv2.equalizeHist(gray)
    side = max(16, round(gray.shape[0] * config.min_face_fraction))
    faces = detector.detectMultiScale(
        equalized, scaleFactor=1.1, minNeighbors=5, minSize=(side, side)
    )
    return len(faces) > 0


def read_frame(
    gray: np.ndarray,
    *,
    at: float,
    previous: np.ndarray | None,
    detector: cv2.CascadeClassifier | None,
    config: CameraConfig,
) -> FrameReading:
    """Judge one frame. Pass a ``detector`` only when :func:`face_check_due` says so."""
    dark = is_dark(gray, config)
    still = previous is not None and frame_change(previous, gray) < config.frozen_diff
    if dark:
        face: bool | None = False  # nobody can be seen in a black frame; skip the detector
    elif detector is not None:
        face = has_face(gray, detector, config)
    else:
        face = None
    return FrameReading(at=at, dark=dark, still=still, face=face)


@dataclass(frozen=True, kw_only=True)
class CameraTracker:
    """One participant's camera: the reported state and the evidence behind it."""

    # When watching began: before the first frame, the gap in frames counts from here.
    started_at: float | None = None
    state: CameraState = "off"
    # What the evidence says now, and since when; becomes ``state`` once it has held.
    pending: CameraState = "off"
    pending_since: float | None = None
    # The browser said its track is disabled, muted or ended.
    reported_off: bool = False
    last_frame_at: float | None = None
    dark: bool = False
    # Since when the picture has not changed (the first frame of the unchanged run).
    still_since: float | None = None
    face: bool = False
    face_checked_at: float | None = None


def face_check_due(tracker: CameraTracker, at: float, config: CameraConfig) -> bool:
    """Whether the frame arriving at ``at`` should go through the face detector."""
    return (
        tracker.face_checked_at is None
        or at - tracker.face_checked_at >= config.face_interval_seconds
    )


def _evidence(tracker: CameraTracker, at: float, config: CameraConfig) -> tuple[CameraState, bool]:
    """The state the evidence points to at ``at``, and whether it needs no hysteresis."""
    # What the browser says and how long frames have been missing or frozen are already
    # deliberate or drawn-out signals: they apply at once. Single frames do not.
    if tracker.reported_off:
        return "off", True
    seen = tracker.last_frame_at if tracker.last_frame_at is not None else tracker.started_at
    if seen is None or at - seen >= config.off_after_seconds:
        return "off", True
    if tracker.still_since is not None and at - tracker.still_since >= config.frozen_after_seconds:
        return "off", True
    if tracker.dark:
        return "off", False
    return ("on" if tracker.face else "no_face"), False


def _settle(tracker: CameraTracker, at: float, config: CameraConfig) -> CameraTracker:
    pending, immediate = _evidence(tracker, at, config)
    since = tracker.pending_since
    if pending != tracker.pending or since is None:
        since = at
    state = tracker.state
    if pending != state and (immediate or at - since >= config.hysteresis_seconds):
        state = pending
    return replace(tracker, state=state, pending=pending, pending_since=since)


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
    if reading.face is not None:
        tracker = replace(tracker, face=reading.face, face_checked_at=reading.at)
    return _settle(tracker, reading.at, config)


def observe_report(
    tracker: CameraTracker, *, live: bool, at: float, config: CameraConfig
) -> CameraTracker:
    """The tracker after the browser said whether its track is live (enabled, unmuted)."""
    return _settle(replace(tracker, reported_off=not live), at, config)


def observe_time(tracker: CameraTracker, now: float, config: CameraConfig) -> CameraTracker:
    """The tracker at ``now``: missing frames turn it off, pending evidence takes hold."""
    return _settle(tracker, now, config)

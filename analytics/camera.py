"""Is a participant's camera on, and is someone in front of it?

Two pure layers:

* frame checks on small grayscale frames (``uint8`` numpy arrays): :func:`is_dark`,
  :func:`frame_change` and :func:`find_face`, combined by :func:`read_frame` into a
  :class:`FrameReading`;
* :class:`CameraTracker`, a frozen dataclass that folds readings, what the browser says
  about its track, and the passing of time into one of four states — ``on`` (a face is
  seen), ``no_face`` (the camera shows a live picture but nobody in it), ``off`` (the
  browser said so, or the frames are black or frozen) and ``unknown`` (the server has no
  picture to judge: no uplink, no frame yet, or none for a while) — with hysteresis, so
  that a blink, a turned head or one bad frame does not flip it. Only evidence makes
  ``off``; missing frames are no evidence of anything.

Hysteresis delays the state, not what it is credited with: a new state carries ``since``,
when the evidence for it began, and the camera record books it from there.

The face detector is the one costly check, so it runs only when :func:`face_check_due`
says so: on every analysed frame while the state may be changing, once a second while a
face is in view (looking first where it was last seen, which is cheap), and seldom while
nobody is (those checks search the whole frame). A face that leaves is noticed at the
first check, not the first to miss it, at least ``face_lost_seconds`` after the last check
that saw it, whatever the check rate.

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
    "Box",
    "CameraConfig",
    "CameraTracker",
    "FrameReading",
    "face_check_due",
    "find_face",
    "frame_change",
    "is_dark",
    "load_face_detector",
    "observe_frame",
    "observe_report",
    "observe_time",
    "observe_uplink_closed",
    "read_frame",
]

# Of OpenCV's frontal-face cascades, alt2 finds more faces than the default one at the
# sizes a video call shows, with no more false alarms, and checks a face in 60 % of the
# time (tests/test_camera.py measures the first on a hundred people's faces).
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
# The searches see the picture scaled so that the smallest face looked for is this many
# pixels: the detector's cost falls with the number of pixels, but at the size of its
# 20-pixel window it misses one face in three that it finds at this one.
SEARCH_FACE_PIXELS = 24
# Around the face last seen, the detector looks this many face sizes to each side, for a
# face from 1/FACE_SIZE_RANGE to FACE_SIZE_RANGE times as big: between two checks a
# second apart a head moves and grows little, and should it move more, the whole-frame
# search that follows finds it. The patch's area and the sizes tried set the cost: this
# one costs a twentieth of the whole frame's.
ROI_MARGIN = 0.25
FACE_SIZE_RANGE = 1.15
# Overlapping detections needed to believe in a face (OpenCV's own example uses 5).
MIN_NEIGHBORS = 5

# Where a face is in a frame: x, y, width, height in the frame's pixels.
Box = tuple[int, int, int, int]


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
    # Search the frame scaled down so that the smallest face looked for is
    # SEARCH_FACE_PIXELS wide; the detector's cost falls with the number of pixels.
    face_downscale: bool = True
    # Step between the sizes the cascade tries: OpenCV's default of 1.1 tries half again
    # as many; at 1.2 a face just above the smallest size is sometimes missed.
    face_scale_factor: float = 1.15
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
        if self.face_scale_factor <= 1:
            raise ValueError("face_scale_factor must be above 1")

    def sender_limits(self) -> dict[str, float]:
        """What the browser's uplink sender is told to keep to (the ``welcome`` message)."""
        return {
            "max_fps": self.max_fps,
            "max_width": self.max_width,
            "max_bitrate": self.max_bitrate,
        }


@dataclass(frozen=True, kw_only=True)
class FrameReading:
    """What one analysed frame showed, and when it arrived."""

    at: float
    dark: bool
    # The picture is the same as in the previous analysed frame.
    still: bool
    # Whether a face was found; ``None`` when the detector did not run on this frame.
    face: bool | None
    # Where the face was found, in the frame's pixels.
    face_box: Box | None = None


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


def find_face(
    gray: np.ndarray,
    detector: cv2.CascadeClassifier,
    config: CameraConfig,
    near: Box | None = None,
) -> Box | None:
    """Where a frontal face of a useful size is in the frame, if anywhere (the largest).

    ``near`` is where a face was last seen: with ``config.face_roi`` the detector looks
    there first, for a face of about the same size, and searches the whole frame only
    when that finds nothing.
    """
    smallest = max(SEARCH_FACE_PIXELS, config.min_face_fraction * gray.shape[0])
    # Both searches see the picture at the scale where the smallest face looked for is
    # SEARCH_FACE_PIXELS.
    scale = min(1.0, SEARCH_FACE_PIXELS / smallest) if config.face_downscale else 1.0
    if near is not None and config.face_roi:
        found = _search_near(gray, detector, config, near, scale)
        if found is not None:
            return found
    return _search_scaled(gray, detector, config, scale, smallest=smallest)


def _search_near(
    gray: np.ndarray,
    detector: cv2.CascadeClassifier,
    config: CameraConfig,
    near: Box,
    scale: float,
) -> Box | None:
    """Search a patch around ``near`` only, for a face of about its size."""
    x, y, width, height = near
    side = max(width, height)
    margin = round(ROI_MARGIN * side)
    left, top = max(0, x - margin), max(0, y - margin)
    right = min(gray.shape[1], x + width + margin)
    bottom = min(gray.shape[0], y + height + margin)
    smallest = max(SEARCH_FACE_PIXELS / scale, side / FACE_SIZE_RANGE)
    if min(right - left, bottom - top) < smallest:
        return None
    found = _search_scaled(
        gray[top:bottom, left:right],
        detector,
        config,
        scale,
        smallest=smallest,
        largest=side * FACE_SIZE_RANGE,
    )
    if found is None:
        return None
    return (found[0] + left, found[1] + top, found[2], found[3])


def _search_scaled(
    gray: np.ndarray,
    detector: cv2.CascadeClassifier,
    config: CameraConfig,
    scale: float,
    *,
    smallest: float,
    largest: float = 0,
) -> Box | None:
    """:func:`_search` in ``gray`` scaled by ``scale``; the box in ``gray``'s pixels."""
    if scale < 1.0:
        size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    # Equalising first makes the cascade work in dim and washed-out rooms alike.
    found = _search(
        cv2.equalizeHist(gray),
        detector,
        config,
        smallest=round(smallest * scale),
        largest=round(largest * scale),
    )
    if found is None:
        return None
    x, y, width, height = found
    return (round(x / scale), round(y / scale), round(width / scale), round(height / scale))


def _search(
    image: np.ndarray,
    detector: cv2.CascadeClassifier,
    config: CameraConfig,
    *,
    smallest: int,
    largest: int = 0,
) -> Box | None:
    """The largest face of ``smallest`` to ``largest`` pixels (0: any) in ``image``."""
    faces = detector.detectMultiScale(
        image,
        scaleFactor=config.face_scale_factor,
        minNeighbors=MIN_NEIGHBORS,
        minSize=(smallest, smallest),
        maxSize=(largest, largest) if largest > smallest else (0, 0),
    )
    if len(faces) == 0:
        return None
    x, y, width, height = max(faces, key=lambda face: face[2] * face[3])
    return (int(x), int(y), int(width), int(height))


def read_frame(
    gray: np.ndarray,
    *,
    at: float,
    previous: np.ndarray | None,
    detector: cv2.CascadeClassifier | None,
    config: CameraConfig,
    near: Box | None = None,
) -> FrameReading:
    """Judge one frame. Pass a ``detector`` only when :func:`face_check_due` says so, and
    ``near``, the tracker's ``face_box``, to look there first."""
    dark = is_dark(gray, config)
    still = previous is not None and frame_change(previous, gray) < config.frozen_diff
    box = None
    if dark:
        face: bool | None = False  # nobody can be seen in a black frame; skip the detector
    elif detector is not None:
        box = find_face(gray, detector, config, near)
        face = box is not None
    else:
        face = None
    return FrameReading(at=at, dark=dark, still=still, face=face, face_box=box)


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

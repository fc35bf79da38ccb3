"""Checks on one small grayscale frame: is it black, has it changed, where is a face;
:func:`read_frame` combines them into the :class:`FrameReading` the camera tracker folds.

Frames are ``uint8`` numpy arrays of the uplink's luma (about 320x240). The face detector
is BlazeFace, MediaPipe's short-range face detector, run by OpenCV's dnn module: it finds
faces tilted, backlit, dim, half covered or blurred by compression that OpenCV's Haar
cascades miss (README, "Performance", has the evaluation). Its network is fully
convolutional, so it runs on a picture of any size that is a multiple of 16 pixels:
small pictures around the last face are cheap, and the whole frame costs more.

The one file ever read is the network's, by :func:`load_face_detector`, which checks its
sha256.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from analytics.camera import CameraConfig

__all__ = [
    "Box",
    "FaceDetector",
    "FrameReading",
    "find_face",
    "frame_change",
    "is_dark",
    "load_face_detector",
    "read_frame",
]

# Where a face is in a frame: x, y, width, height in the frame's pixels.
Box = tuple[int, int, int, int]

MODEL = Path(__file__).with_name("models") / "face_detection_short_range.tflite"
MODEL_SHA256 = "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633"
# The network's two output grids: every 8 pixels two anchors, every 16 pixels six.
ANCHOR_GRIDS = ((8, 2), (16, 6))
# A face is believed at this score (0-1) of the network's best anchor. On the evaluation's
# frames (tests/test_frames.py) 0.5, MediaPipe's own, sees faces in 46 of 424 frames
# without one; 0.7 in 2, and still finds 98 % of faces; 0.75 finds 95 %.
MIN_SCORE = 0.7
# The whole frame is searched scaled so that the frame's height is this many pixels: the
# network misses faces smaller than about a quarter of the picture it sees, and larger
# pictures cost more (in proportion to their pixels).
WHOLE_FRAME_ROWS = 96
# Then, if that found none and smaller faces are looked for, scaled so that the smallest
# face looked for is this many pixels (without ``face_downscale``, at once and only so).
SMALL_FACE_PIXELS = 32
# BlazeFace's box spans brows to chin: about this share of the height a face is said to
# have (the hairline to the chin).
BOX_SHARE = 0.6
# Around the face last seen, a square this many times its size, scaled so that the face
# is NEAR_FACE_PIXELS: between two checks a second apart a head moves and grows little,
# and should it move more, the whole-frame search that follows finds it.
NEAR_SIDE = 2.0
NEAR_FACE_PIXELS = 40


def is_dark(gray: np.ndarray, config: CameraConfig) -> bool:
    """The frame is black, or so dark that next to nothing in it can be seen."""
    # Counting lit pixels rather than averaging keeps a dark scene with a bright subject
    # (a face lit by the screen) from passing as black.
    lit = np.count_nonzero(gray > config.dark_level)
    return bool(lit < config.lit_share * gray.size)


def frame_change(previous: np.ndarray, current: np.ndarray) -> float:
    """Mean absolute luma difference of two frames; infinite if their sizes differ."""
    if previous.shape != current.shape:
        return math.inf
    return float(cv2.absdiff(previous, current).mean())


class FaceDetector:
    """BlazeFace on OpenCV's dnn module. Not for sharing between threads that detect at
    the same time: load one per thread."""

    def __init__(self, net: cv2.dnn.Net) -> None:
        self._net = net
        self._outputs = net.getUnconnectedOutLayersNames()
        self._anchors: dict[tuple[int, int], np.ndarray] = {}

    def detect(self, gray: np.ndarray, size: tuple[int, int]) -> tuple[Box, float] | None:
        """The likeliest face in ``gray`` scaled to ``size`` (width, height: multiples of
        16), in ``gray``'s pixels, and its score; ``None`` below :data:`MIN_SCORE`."""
        width, height = size
        picture = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        # The network wants RGB in [-1, 1]; a gray picture is the same value thrice.
        blob = cv2.dnn.blobFromImage(picture, 1 / 127.5, mean=127.5)
        self._net.setInput(np.repeat(blob, 3, axis=1))
        first, second = self._net.forward(self._outputs)
        scores, boxes = (first, second) if first.shape[-1] == 1 else (second, first)
        best = int(np.argmax(scores))
        score = 1 / (1 + math.exp(-min(max(float(scores.flat[best]), -50.0), 50.0)))
        if score < MIN_SCORE:
            return None
        anchor_x, anchor_y = self._anchors_for(width, height)[best]
        dx, dy, box_width, box_height = boxes.reshape(-1, 16)[best, :4]
        x_scale, y_scale = gray.shape[1] / width, gray.shape[0] / height
        centre_x, centre_y = (anchor_x + dx) * x_scale, (anchor_y + dy) * y_scale
        box_width, box_height = box_width * x_scale, box_height * y_scale
        box = (
            round(centre_x - box_width / 2),
            round(centre_y - box_height / 2),
            round(box_width),
            round(box_height),
        )
        return box, score

    def _anchors_for(self, width: int, height: int) -> np.ndarray:
        """The centre of every anchor, in the order of the network's outputs (pixels)."""
        if (width, height) not in self._anchors:
            centres = []
            for stride, count in ANCHOR_GRIDS:
                ys, xs = np.mgrid[0 : height // stride, 0 : width // stride]
                grid = np.stack([xs.ravel(), ys.ravel()], axis=1) * stride + stride / 2
                centres.append(np.repeat(grid, count, axis=0))
            self._anchors[(width, height)] = np.concatenate(centres).astype(np.float32)
        return self._anchors[(width, height)]


def load_face_detector() -> FaceDetector:
    """The face detector, from the network file shipped in ``analytics/models``."""
    model = MODEL.read_bytes()
    if hashlib.sha256(model).hexdigest() != MODEL_SHA256:
        raise RuntimeError(f"{MODEL} is not the face detector it should be (sha256 differs)")
    return FaceDetector(cv2.dnn.readNetFromTFLite(np.frombuffer(model, np.uint8)))


def find_face(
    gray: np.ndarray,
    detector: FaceDetector,
    config: CameraConfig,
    near: Box | None = None,
) -> Box | None:
    """Where a face of a useful size is in the frame, if anywhere (the likeliest).

    ``near`` is where a face was last seen: with ``config.face_roi`` the detector looks
    there first, for a face of about the same size, and searches the whole frame only
    when that finds nothing.
    """
    if near is not None and config.face_roi:
        found = _search_near(gray, detector, near, config)
        if found is not None:
            return found
    rows = gray.shape[0]
    small_scale = min(1.0, SMALL_FACE_PIXELS / (config.min_face_fraction * rows))
    if not config.face_downscale:
        return _search(gray, detector, small_scale, config)
    found = _search(gray, detector, WHOLE_FRAME_ROWS / rows, config)
    if found is None and small_scale > WHOLE_FRAME_ROWS / rows:
        found = _search(gray, detector, small_scale, config)
    return found


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


def read_frame(
    gray: np.ndarray,
    *,
    at: float,
    previous: np.ndarray | None,
    detector: FaceDetector | None,
    config: CameraConfig,
    near: Box | None = None,
) -> FrameReading:
    """Judge one frame. Pass a ``detector`` only when
    :func:`analytics.camera.face_check_due` says so, and ``near``, the tracker's
    ``face_box``, to look there first."""
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


def _search(
    gray: np.ndarray, detector: FaceDetector, scale: float, config: CameraConfig
) -> Box | None:
    """The likeliest face in the whole frame scaled by ``scale``, if big enough."""
    size = (_multiple_of_16(gray.shape[1] * scale), _multiple_of_16(gray.shape[0] * scale))
    return _useful(detector.detect(gray, size), gray, config)


def _search_near(
    gray: np.ndarray, detector: FaceDetector, near: Box, config: CameraConfig
) -> Box | None:
    """Search a square around ``near`` only, scaled so that a face of its size is
    :data:`NEAR_FACE_PIXELS`."""
    x, y, width, height = near
    side = NEAR_SIDE * max(width, height)
    left = max(0, round(x + width / 2 - side / 2))
    top = max(0, round(y + height / 2 - side / 2))
    right = min(gray.shape[1], round(x + width / 2 + side / 2))
    bottom = min(gray.shape[0], round(y + height / 2 + side / 2))
    if min(width, height) < 1 or right - left < 16 or bottom - top < 16:
        return None
    scale = NEAR_FACE_PIXELS / max(width, height)
    size = (_multiple_of_16((right - left) * scale), _multiple_of_16((bottom - top) * scale))
    found = detector.detect(gray[top:bottom, left:right], size)
    if found is None:
        return None
    (found_x, found_y, found_width, found_height), score = found
    box = (found_x + left, found_y + top, found_width, found_height)
    return _useful((box, score), gray, config)


def _useful(found: tuple[Box, float] | None, gray: np.ndarray, config: CameraConfig) -> Box | None:
    """The box found, unless it is smaller than the faces looked for."""
    if found is None or found[0][3] < BOX_SHARE * config.min_face_fraction * gray.shape[0]:
        return None
    return found[0]


def _multiple_of_16(pixels: float) -> int:
    return max(16, round(pixels / 16) * 16)

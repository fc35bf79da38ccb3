"""Camera pictures for the tests, made at test time from the photos in scikit-image.

``face`` is the astronaut photo (one frontal face), ``room`` the cameraman photo (a
person seen from the side, no frontal face), ``black`` what Chrome sends for a disabled
track. ``strangers`` are many people's faces, and patches without one, for the face
detector's hit rate. ``live`` makes a still picture look like a camera's: a small drift
and sensor noise, so that consecutive frames are never identical.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
from skimage import data

WIDTH, HEIGHT = 320, 240


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Crop the top of ``image`` to the frame's aspect ratio (faces are at the top of
    portraits) and scale it to ``width`` x ``height``."""
    rows, cols = image.shape[:2]
    crop_rows = min(rows, round(cols * height / width))
    return cv2.resize(image[:crop_rows], (width, height), interpolation=cv2.INTER_AREA)


def face(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB frame with one frontal face (the astronaut)."""
    return _fit(data.astronaut(), width, height)


def room(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB frame of a lit scene without a frontal face (the cameraman)."""
    return cv2.cvtColor(_fit(data.camera(), width, height), cv2.COLOR_GRAY2RGB)


def black(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB black frame."""
    return np.zeros((height, width, 3), np.uint8)


def strangers(face_size: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Gray frames of 100 people's faces and of 100 patches without one (scikit-image's
    subset of Labeled Faces in the Wild, 25x25 crops), each scaled to ``face_size``
    pixels on a plain background, as a face sits in a video call."""
    crops = (data.lfw_subset() * 255).astype(np.uint8)
    frames = []
    for crop in crops:
        frame = np.full((HEIGHT, WIDTH), 110, np.uint8)
        top, left = (HEIGHT - face_size) // 3, (WIDTH - face_size) // 2
        frame[top : top + face_size, left : left + face_size] = cv2.resize(
            crop, (face_size, face_size), interpolation=cv2.INTER_CUBIC
        )
        frames.append(frame)
    return frames[:100], frames[100:]


def gray(rgb: np.ndarray) -> np.ndarray:
    """The luma of an RGB frame, as the server analyses it."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def live(rgb: np.ndarray, index: int, *, seed: int = 0) -> np.ndarray:
    """Frame ``index`` of a live camera looking at ``rgb``: drifting a few pixels, noisy."""
    dx, dy = 3 * np.sin(index / 3), 2 * np.cos(index / 4)
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    moved = cv2.warpAffine(rgb, shift, rgb.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    noise = np.random.default_rng(seed + index).normal(0, 3, rgb.shape)
    return np.clip(moved + noise, 0, 255).astype(np.uint8)


def write_y4m(path: Path, frames: Iterable[np.ndarray], fps: int = 10) -> Path:
    """Write RGB frames as a YUV4MPEG2 4:2:0 video, the format Chromium's fake camera
    plays (``--use-file-for-fake-video-capture``); it loops the file."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    with path.open("wb") as file:
        file.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode())
        for rgb in frames:
            # OpenCV's I420 is the Y plane, then U, then V: exactly a y4m frame.
            file.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path

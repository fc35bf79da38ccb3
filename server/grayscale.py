"""Decoded uplink video as the frame checks take it: small grayscale pictures, 0-255."""

from __future__ import annotations

import av
import cv2
import numpy as np

__all__ = ["small_gray"]

# Decoded video is limited-range luma (16-235); the frame checks expect 0-255.
_FULL_RANGE = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)


def small_gray(frame: av.VideoFrame, max_width: int, out: np.ndarray | None = None) -> np.ndarray:
    """The frame's luma, scaled down to at most ``max_width`` pixels wide.

    Written into ``out`` when it has the right size, so that a stream of frames can reuse
    two buffers instead of allocating one per frame.
    """
    scale = min(1.0, max_width / frame.width)
    width = max(2, round(frame.width * scale / 2) * 2)
    height = max(2, round(frame.height * scale / 2) * 2)
    if out is None or out.shape != (height, width):
        out = np.empty((height, width), np.uint8)
    if frame.format.name != "yuv420p":
        out[...] = frame.reformat(width=width, height=height, format="gray").to_ndarray()
        return out
    plane = frame.planes[0]  # the luma plane, rows padded to line_size
    luma = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)
    luma = luma[:, : frame.width]
    if (width, height) != (frame.width, frame.height):
        cv2.resize(luma, (width, height), dst=out, interpolation=cv2.INTER_AREA)
        luma = out
    cv2.LUT(luma, _FULL_RANGE, dst=out)
    return out

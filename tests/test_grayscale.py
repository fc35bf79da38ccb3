"""Decoded uplink frames as small grayscale pictures."""

from __future__ import annotations

import av
import numpy as np
import pytest

from server.grayscale import small_gray
from tests import camera_images


@pytest.mark.parametrize(
    ("size", "shrunk"),
    [((640, 480), (320, 240)), ((320, 240), (320, 240)), ((1280, 720), (320, 180))],
)
def test_frames_are_analysed_as_small_grayscale_pictures(size, shrunk):
    width, height = size
    frame = av.VideoFrame.from_ndarray(camera_images.face(width, height), format="rgb24")
    gray = small_gray(frame.reformat(format="yuv420p"), max_width=320)
    assert gray.shape == (shrunk[1], shrunk[0])
    assert gray.dtype.name == "uint8"
    expected = camera_images.gray(camera_images.face(*shrunk))
    assert abs(float(gray.mean()) - float(expected.mean())) < 3


def test_frames_are_written_into_the_buffer_given_and_black_is_zero():
    rgb = camera_images.black()
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    buffer = np.full((240, 320), 7, np.uint8)
    assert small_gray(frame, max_width=320, out=buffer) is buffer
    assert buffer.max() == 0  # limited-range black (luma 16) reads as 0
    smaller = small_gray(frame, max_width=160, out=buffer)
    assert smaller is not buffer and smaller.shape == (120, 160)


def test_a_frame_in_another_format_is_converted_too():
    frame = av.VideoFrame.from_ndarray(camera_images.face(640, 480), format="rgb24")
    gray = small_gray(frame, max_width=320)
    expected = camera_images.gray(camera_images.face(320, 240))
    assert gray.shape == (240, 320)
    assert abs(float(gray.mean()) - float(expected.mean())) < 3

"""The analysis pool: decoded frames judged off the event loop, a detector per thread."""

from __future__ import annotations

import threading

import av
import numpy as np
import pytest

from analytics.camera import CameraConfig
from server.frame_reader import FrameReader
from tests import camera_images

CONFIG = CameraConfig()


def decoded(rgb) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


@pytest.fixture
async def reader():
    reader = FrameReader(CONFIG)
    yield reader
    reader.close()


async def test_a_frame_is_shrunk_and_judged_with_the_detector_only_when_due(reader):
    face = decoded(camera_images.live(camera_images.face(640, 480), 0))
    gray, checked = await reader.read(
        face, at=1.0, previous=None, spare=None, face_due=True, near=None
    )
    assert gray.shape == (240, 320)
    assert (checked.at, checked.dark, checked.still, checked.face) == (1.0, False, False, True)
    _, unchecked = await reader.read(
        face, at=2.0, previous=gray, spare=None, face_due=False, near=checked.face_box
    )
    assert (unchecked.face, unchecked.still) == (None, True)


async def test_the_spare_buffer_is_written_into_and_a_black_frame_is_dark(reader):
    spare = np.full((240, 320), 7, np.uint8)
    gray, reading = await reader.read(
        decoded(camera_images.black()), at=1.5, previous=None, spare=spare, face_due=True, near=None
    )
    assert gray is spare and gray.max() == 0
    assert (reading.dark, reading.face) == (True, False)  # no detector run on black


async def test_closing_stops_its_threads():
    reader = FrameReader(CONFIG, workers=2)
    await reader.read(
        decoded(camera_images.face()), at=1.0, previous=None, spare=None, face_due=True, near=None
    )
    assert any(t.name.startswith("camera") for t in threading.enumerate())
    reader.close()
    assert not any(t.name.startswith("camera") for t in threading.enumerate())

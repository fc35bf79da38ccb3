"""The checks of one frame, on real pictures: darkness, change, the reading they make, and
faces.

The evaluation builds its frames from photos shipped in scikit-image and matplotlib
(tests/camera_images.py) and holds the detector to a floor per condition and a ceiling
on false alarms; `python -m tests.bench.face_checks` prints the same figures.
"""

from __future__ import annotations

import statistics
import threading

import cv2
import numpy as np
import pytest

from analytics import frames
from analytics.camera import CameraConfig
from analytics.frames import find_face, frame_change, is_dark, load_face_detector, read_frame
from tests import camera_images
from tests.bench.face_checks import evaluate
from tests.utils import CountingDetector

CONFIG = CameraConfig()
WHOLE_FRAME, SMALL_FACES = (128, 96), (288, 208)


@pytest.fixture(scope="module")
def detector():
    return load_face_detector()


def uplink(rgb: np.ndarray) -> np.ndarray:
    return camera_images.uplink(camera_images.live(rgb, 0))


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    shared = max(0, width) * max(0, height)
    return shared / (a[2] * a[3] + b[2] * b[3] - shared)


def live_face(index: int) -> np.ndarray:
    """Frame ``index`` of a live camera showing a face, as the frame checks get it."""
    return camera_images.gray(camera_images.live(camera_images.face(), index))


def black() -> np.ndarray:
    return camera_images.gray(camera_images.black())


def test_black_frames_are_dark_and_lit_pictures_are_not():
    assert is_dark(black(), CONFIG)
    assert not is_dark(live_face(0), CONFIG)
    assert not is_dark(camera_images.gray(camera_images.live(camera_images.room(), 0)), CONFIG)
    assert not is_dark(np.full((240, 320), CONFIG.dark_level + 1, np.uint8), CONFIG)
    assert is_dark(np.full((240, 320), CONFIG.dark_level, np.uint8), CONFIG)


def test_a_dark_scene_with_something_bright_in_it_is_not_black():
    spot = black().copy()
    spot[100:106, 150:156] = 255  # a small light in a black frame does not show anything
    assert is_dark(spot, CONFIG)
    subject = black().copy()
    subject[80:160, 120:200] = 200  # a lit subject in a dark room, like Chrome's test pattern
    assert subject.mean() < CONFIG.dark_level
    assert not is_dark(subject, CONFIG)


def test_a_live_camera_changes_between_frames_and_a_frozen_one_does_not():
    frozen = camera_images.gray(camera_images.face())
    assert frame_change(live_face(0), live_face(1)) > 10 * CONFIG.frozen_diff
    assert frame_change(frozen, frozen.copy()) == 0
    assert frame_change(live_face(0), live_face(0)[:120]) == float("inf")


def test_a_dark_frame_is_read_without_running_the_detector(detector):
    reading = read_frame(black(), at=1.0, previous=None, detector=detector, config=CONFIG)
    assert (reading.dark, reading.still, reading.face) == (True, False, False)
    reading = read_frame(live_face(1), at=2.0, previous=live_face(0), detector=None, config=CONFIG)
    assert (reading.dark, reading.still, reading.face) == (False, False, None)


def test_a_frame_read_with_the_detector_says_where_the_face_is_and_whether_it_stood_still(
    detector,
):
    frame = live_face(0)
    reading = read_frame(frame, at=3.0, previous=frame.copy(), detector=detector, config=CONFIG)
    assert (reading.at, reading.dark, reading.still, reading.face) == (3.0, False, True, True)
    assert reading.face_box == find_face(frame, detector, CONFIG)


def test_the_astronaut_and_the_cameraman_show_a_face_and_the_empty_room_none(detector):
    assert find_face(uplink(camera_images.face()), detector, CONFIG) is not None
    # The cameraman's face is turned partly away from the camera, but it is a face.
    cameraman = cv2.cvtColor(camera_images.fit(camera_images.data.camera()), cv2.COLOR_GRAY2RGB)
    assert find_face(uplink(cameraman), detector, CONFIG) is not None
    assert find_face(uplink(camera_images.room()), detector, CONFIG) is None
    assert find_face(uplink(camera_images.black()), detector, CONFIG) is None


def test_a_backlit_tilted_face_is_found(detector):
    box = find_face(uplink(camera_images.backlit()), detector, CONFIG)
    assert box is not None
    x, y, width, height = box  # the face is in the middle, 30 % of the frame's height
    assert 120 < x + width / 2 < 200 and 70 < y + height / 2 < 130 and 40 < height < 100


def test_the_face_is_searched_in_the_frame_scaled_down(detector):
    counting = CountingDetector(detector)
    box = find_face(uplink(camera_images.face()), counting, CONFIG)
    assert counting.searched == [WHOLE_FRAME]
    assert box is not None
    x, y, width, height = box  # in the frame's pixels, where the astronaut's face is
    assert 95 < x < 125 and 30 < y < 60 and 50 < width < 80 and 50 < height < 80


def test_small_faces_are_looked_for_larger_only_when_none_is_found(detector):
    counting = CountingDetector(detector)
    assert find_face(uplink(camera_images.room()), counting, CONFIG) is None
    assert counting.searched == [WHOLE_FRAME, SMALL_FACES]
    counting.searched.clear()
    large_only = CameraConfig(min_face_fraction=0.4)
    assert find_face(uplink(camera_images.room()), counting, large_only) is None
    assert counting.searched == [WHOLE_FRAME]


def test_the_detector_looks_where_the_face_was_first(detector):
    whole = find_face(uplink(camera_images.face()), detector, CONFIG)
    assert whole is not None
    counting = CountingDetector(detector)
    near = find_face(
        camera_images.uplink(camera_images.live(camera_images.face(), 1)),
        counting,
        CONFIG,
        near=whole,
    )
    assert near is not None and overlap(near, whole) > 0.5
    # One search, of a picture around the last face smaller than the whole frame's.
    [(width, height)] = counting.searched
    assert width * height < 0.6 * WHOLE_FRAME[0] * WHOLE_FRAME[1]


def test_a_face_not_where_it_was_is_searched_for_in_the_whole_frame(detector):
    counting = CountingDetector(detector)
    corner = (250, 170, 60, 60)  # nobody there
    box = find_face(uplink(camera_images.face()), counting, CONFIG, near=corner)
    assert (
        box is not None
        and overlap(box, find_face(uplink(camera_images.face()), detector, CONFIG)) > 0.5
    )
    assert len(counting.searched) == 2 and counting.searched[-1] == WHOLE_FRAME
    assert find_face(uplink(camera_images.room()), detector, CONFIG, near=corner) is None
    assert find_face(uplink(camera_images.face()), detector, CONFIG, near=(5, 5, 0, 0)) is not None


def test_without_the_shortcuts_the_whole_frame_is_searched_for_the_smallest_faces(detector):
    naive = CameraConfig(face_roi=False, face_downscale=False)
    counting = CountingDetector(detector)
    whole = find_face(uplink(camera_images.face()), detector, CONFIG)
    assert find_face(uplink(camera_images.face()), counting, naive, near=whole) is not None
    assert counting.searched == [SMALL_FACES]


def test_a_detector_file_that_is_not_the_shipped_one_is_refused(tmp_path, monkeypatch):
    changed = tmp_path / "face.tflite"
    changed.write_bytes(frames.MODEL.read_bytes()[:-1] + b"\0")
    monkeypatch.setattr(frames, "MODEL", changed)
    with pytest.raises(RuntimeError, match="sha256"):
        load_face_detector()


def test_a_detector_per_thread_finds_what_one_alone_finds(detector):
    pictures = [uplink(camera_images.face()), uplink(camera_images.backlit())] * 10
    alone = [find_face(gray, detector, CONFIG) for gray in pictures]
    results: list[list[object]] = [[], []]

    def work(found: list[object]) -> None:
        own = load_face_detector()
        found.extend(find_face(gray, own, CONFIG) for gray in pictures)

    threads = [threading.Thread(target=work, args=(found,)) for found in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [alone, alone]


def test_faces_are_found_under_every_condition_and_seldom_where_there_is_none(detector):
    rows, false_alarms = evaluate(lambda gray: find_face(gray, detector, CONFIG))
    shares = {row.condition: row.share for row in rows}
    assert {
        name: share for name, share in shares.items() if share < camera_images.FLOORS[name]
    } == {}
    assert statistics.mean(shares.values()) >= camera_images.MEAN_FLOOR
    assert false_alarms.share <= camera_images.MAX_FALSE_ALARMS
    assert false_alarms.frames > 350 and all(row.frames > 100 for row in rows)

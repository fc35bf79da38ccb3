"""The camera tracker, fed real pictures through the frame checks, with timestamps from the
frames."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pytest

from analytics.camera import (
    CameraConfig,
    CameraTracker,
    face_check_due,
    observe_frame,
    observe_report,
    observe_time,
    observe_uplink_closed,
    tracker_from_record,
)
from analytics.camera_time import CameraRecord
from analytics.events import CameraReported
from analytics.frames import load_face_detector, read_frame
from tests import camera_images
from tests.utils import CountingDetector

CONFIG = CameraConfig()
FPS = 2  # what the uplink sends by default
WHOLE_FRAME = (128, 96)  # the picture a search of the whole frame starts with
Source = Callable[[int], np.ndarray]


@pytest.fixture(scope="module")
def detector():
    return load_face_detector()


def face(index: int) -> np.ndarray:
    return camera_images.gray(camera_images.live(camera_images.face(), index))


def room(index: int) -> np.ndarray:
    return camera_images.gray(camera_images.live(camera_images.room(), index))


def black(index: int) -> np.ndarray:
    return camera_images.gray(camera_images.black())


def frozen_face(index: int) -> np.ndarray:
    return camera_images.gray(camera_images.face())


class Camera:
    """Feeds timed frames through the checks and the tracker, as the server does."""

    def __init__(self, detector, config: CameraConfig = CONFIG) -> None:
        self.detector = detector
        self.config = config
        self.tracker = CameraTracker(started_at=0.0)  # the uplink opens at 0 s
        self.previous: np.ndarray | None = None
        self.now = 0.0
        self.index = 0
        self.states: list[tuple[float, str]] = []

    def show(self, source: Source, seconds: float, fps: float = FPS) -> str:
        """Send ``seconds`` of frames from ``source``; return the state afterwards."""
        start = self.now
        for i in range(round(seconds * fps)):
            self.now = start + i / fps
            self.frame(source(self.index))
        self.now = start + seconds
        return self.tracker.state

    def frame(self, gray: np.ndarray) -> None:
        due = face_check_due(self.tracker, self.now, self.config)
        reading = read_frame(
            gray,
            at=self.now,
            previous=self.previous,
            detector=self.detector if due else None,
            config=self.config,
            near=self.tracker.face_box,
        )
        self.previous = gray
        self.index += 1
        self.record(observe_frame(self.tracker, reading, self.config))

    def wait(self, seconds: float) -> str:
        """Let time pass without frames; return the state afterwards."""
        self.now += seconds
        self.record(observe_time(self.tracker, self.now, self.config))
        return self.tracker.state

    def report(self, *, live: bool) -> str:
        self.record(observe_report(self.tracker, live=live, at=self.now, config=self.config))
        return self.tracker.state

    def record(self, tracker: CameraTracker) -> None:
        if tracker.state != self.tracker.state:
            self.states.append((self.now, tracker.state))
        self.tracker = tracker


def changes(states: Iterable[tuple[float, str]]) -> list[str]:
    return [state for _, state in states]


def test_a_face_in_view_is_checked_once_a_second_near_where_it_was(detector):
    counting = CountingDetector(detector)
    camera = Camera(counting)
    camera.show(face, seconds=4)
    before = len(counting.searched)
    camera.show(face, seconds=5)
    # Five checks, each one search of a small picture around the face.
    assert len(counting.searched) - before == 5
    assert all(width * height < 0.6 * 128 * 96 for width, height in counting.searched[before:])
    last = camera.tracker.face_checked_at
    assert last is not None and last >= 8.0
    assert not face_check_due(camera.tracker, last + CONFIG.face_interval_seconds - 0.01, CONFIG)
    assert face_check_due(camera.tracker, last + CONFIG.face_interval_seconds, CONFIG)


def test_nobody_in_view_is_looked_for_seldom(detector):
    counting = CountingDetector(detector)
    camera = Camera(counting)
    assert camera.show(room, seconds=10) == "no_face"
    # Every frame until the state settled at 3 s, then every idle interval; each check
    # searches the whole frame, first scaled down.
    assert counting.searched.count(WHOLE_FRAME) == 7 + 3
    assert camera.tracker.face_checked_at == 9.0
    assert not face_check_due(camera.tracker, 10.9, CONFIG)
    assert face_check_due(camera.tracker, 11.0, CONFIG)


def test_while_the_state_may_change_every_frame_is_checked(detector):
    camera = Camera(detector)
    camera.show(room, seconds=10)
    camera.show(face, seconds=1.5)  # the idle check at 11 s sees the face: "on" is pending
    assert (camera.tracker.state, camera.tracker.pending) == ("no_face", "on")
    assert camera.tracker.face_checked_at == 11.0
    assert face_check_due(camera.tracker, 11.5, CONFIG)


def test_a_face_turns_the_camera_on_after_the_hysteresis_counted_from_the_first_frame(detector):
    camera = Camera(detector)
    assert camera.show(face, seconds=CONFIG.hysteresis_seconds - 0.5) == "unknown"
    assert camera.show(face, seconds=1.5) == "on"
    (at, state), *_ = camera.states
    assert state == "on"
    assert at == pytest.approx(CONFIG.hysteresis_seconds)
    assert camera.tracker.since == 0.0  # the evidence began with the first frame


def test_a_picture_without_a_face_is_no_face(detector):
    camera = Camera(detector)
    assert camera.show(room, seconds=5) == "no_face"
    assert changes(camera.states) == ["no_face"]


def test_black_frames_turn_the_camera_off(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)
    assert camera.show(black, seconds=CONFIG.hysteresis_seconds + 1) == "off"
    assert changes(camera.states) == ["on", "off"]
    assert camera.tracker.since == 5.0


def test_a_dropout_of_half_a_second_does_not_flip_the_state(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)
    camera.show(black, seconds=0.5)  # a glitch: a black frame
    camera.show(face, seconds=2)
    camera.show(room, seconds=0.5)  # a turned head: a face check misses
    assert camera.show(face, seconds=3) == "on"
    assert changes(camera.states) == ["on"]


def test_a_face_that_leaves_is_gone_at_the_first_check_after_the_lost_time(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)  # checked once a second: last seen at 4 s
    camera.show(room, seconds=3)  # at 5.5 s, the second check without it, 1.5 s unseen
    assert camera.states[-1] == (5.5, "no_face")


def test_the_clock_alone_does_not_decide_that_a_face_left(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)  # last seen at 4 s
    camera.show(room, seconds=0.5)  # missed at 5 s: one check alone never decides
    assert camera.wait(0.5) == "on"  # 2 s unseen at 6 s, but no check said so since 5 s
    camera.show(room, seconds=0.5)  # the check at 6 s does
    [(at, state)] = camera.states[1:]
    assert (at, state) == (6.0, "no_face")


def test_the_lost_time_counts_from_the_last_sighting_whatever_the_check_rate(detector):
    slow = CameraConfig(face_interval_seconds=1.0)
    camera = Camera(detector, slow)
    camera.show(face, seconds=5)  # checked at 3, 4; last seen at 4 s
    assert camera.tracker.face_seen_at == 4.0
    camera.show(room, seconds=3)  # misses at 5 and 5.5
    assert camera.states[-1] == (5.5, "no_face")


def test_one_missed_check_never_flips_it_however_slow_the_checks(detector):
    slow = CameraConfig(face_interval_seconds=2.0)
    camera = Camera(detector, slow)
    camera.show(face, seconds=5)  # on at 3 s, checked then and not again until 5 s
    camera.show(room, seconds=0.5)  # the check at 5 s misses, 2 s after the last sighting
    assert (camera.tracker.state, camera.tracker.pending) == ("on", "no_face")
    camera.show(face, seconds=0.5)  # so the next frame is checked at once, and has a face
    assert camera.tracker.face_seen_at == 5.5
    assert camera.show(face, seconds=3) == "on"
    assert changes(camera.states) == ["on"]


def test_a_longer_absence_does_flip_it_and_a_return_flips_it_back(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)
    camera.show(room, seconds=CONFIG.hysteresis_seconds + 2)
    camera.show(face, seconds=CONFIG.hysteresis_seconds + 2)
    assert changes(camera.states) == ["on", "no_face", "on"]


def test_a_frozen_picture_turns_the_camera_off_even_with_a_face(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)
    assert camera.show(frozen_face, seconds=CONFIG.frozen_after_seconds - 1) == "on"
    assert camera.show(frozen_face, seconds=2) == "off"
    assert camera.tracker.still_since is not None
    assert camera.show(face, seconds=CONFIG.hysteresis_seconds + 1) == "on"
    assert changes(camera.states) == ["on", "off", "on"]


def test_a_moving_picture_is_never_frozen(detector):
    camera = Camera(detector)
    camera.show(face, seconds=3 * CONFIG.frozen_after_seconds)
    assert camera.tracker.still_since is None
    assert changes(camera.states) == ["on"]


def test_no_frames_for_a_while_make_the_camera_unknown_at_once_not_off(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)  # the last frame at 4.5 s
    assert camera.wait(CONFIG.unseen_after_seconds - 1) == "on"
    assert camera.wait(1) == "unknown"
    assert camera.tracker.since == 4.5  # no picture since the last frame
    assert camera.show(face, seconds=CONFIG.hysteresis_seconds + 1) == "on"
    assert changes(camera.states) == ["on", "unknown", "on"]


def test_the_browser_saying_off_turns_it_off_at_once_and_frames_bring_it_back(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)
    assert camera.report(live=False) == "off"
    # The track is disabled but frames with a face still arrive (the clone lags a frame).
    assert camera.show(face, seconds=2) == "off"
    # Back on, the camera is being checked again until the frames have held a verdict.
    assert camera.report(live=True) == "unknown"
    assert camera.show(face, seconds=CONFIG.hysteresis_seconds + 1) == "on"
    assert changes(camera.states) == ["on", "off", "unknown", "on"]


def test_the_configuration_sets_the_thresholds(detector):
    quick = CameraConfig(hysteresis_seconds=0.5, unseen_after_seconds=1.0)
    camera = Camera(detector, quick)
    assert camera.show(face, seconds=1) == "on"
    assert camera.wait(1.0) == "unknown"


def test_a_new_uplink_has_the_frame_gap_to_deliver_its_first_frame():
    started = CameraTracker(started_at=100.0, state="on", pending="on", pending_since=100.0)
    almost = observe_time(started, 100.0 + CONFIG.unseen_after_seconds - 0.1, CONFIG)
    assert almost.state == "on"
    unseen = observe_time(started, 100.0 + CONFIG.unseen_after_seconds, CONFIG)
    assert (unseen.state, unseen.since) == ("unknown", 100.0)


def test_without_an_uplink_the_camera_is_unknown_unless_the_browser_says_off():
    tracker = observe_time(CameraTracker(), 10.0, CONFIG)
    assert (tracker.state, tracker.since) == ("unknown", None)
    tracker = observe_report(tracker, live=False, at=12.0, config=CONFIG)
    assert (tracker.state, tracker.since) == ("off", 12.0)
    tracker = observe_report(tracker, live=True, at=20.0, config=CONFIG)
    assert (tracker.state, tracker.since) == ("unknown", 20.0)
    assert observe_report(tracker, live=True, at=21.0, config=CONFIG) == tracker


def test_a_closed_uplink_leaves_the_camera_unknown_or_off_as_the_browser_said(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)
    closed = observe_uplink_closed(camera.tracker, 5.0, CONFIG)
    # No picture since the last frame, at 4.5 s.
    assert (closed.state, closed.since, closed.started_at) == ("unknown", 4.5, None)
    camera.report(live=False)
    closed = observe_uplink_closed(camera.tracker, 6.0, CONFIG)
    assert (closed.state, closed.since) == ("off", 5.0)
    never = observe_uplink_closed(CameraTracker(started_at=0.0, state="on"), 3.0, CONFIG)
    assert (never.state, never.since) == ("unknown", 3.0)


def test_a_frozen_picture_is_off_from_when_it_froze(detector):
    camera = Camera(detector)
    camera.show(face, seconds=5)
    camera.show(frozen_face, seconds=CONFIG.frozen_after_seconds + 1)
    assert camera.tracker.state == "off"
    assert camera.tracker.since == camera.tracker.still_since == 5.0


def test_a_tracker_from_the_record_starts_in_its_state_and_remembers_a_report_of_off():
    off = CameraReported(
        at=3.0, actor="mentor", role="mentor", enabled=False, muted=False, ended=False
    )
    record = CameraRecord(state="off", since=3.0, report=off)
    tracker = tracker_from_record(record, 10.0)
    assert (tracker.state, tracker.since, tracker.started_at) == ("off", 3.0, None)
    # Nothing new: time passing, or the browser saying off again, changes nothing.
    assert observe_time(tracker, 20.0, CONFIG).state == "off"
    assert observe_report(tracker, live=False, at=20.0, config=CONFIG).state == "off"
    # The browser's camera back on: unknown, there being no picture to judge.
    back = observe_report(tracker, live=True, at=21.0, config=CONFIG)
    assert (back.state, back.since) == ("unknown", 21.0)
    seen = tracker_from_record(CameraRecord(state="on", since=5.0), 10.0)
    assert (seen.state, seen.since, seen.reported_off) == ("on", 5.0, False)

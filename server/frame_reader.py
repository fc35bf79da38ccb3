"""The analysis of uplink frames, in a small thread pool so that OpenCV never runs on the
event loop."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import av
import cv2
import numpy as np

from analytics.camera import CameraConfig
from analytics.frames import Box, FrameReading, load_face_detector, read_frame
from server.grayscale import small_gray

__all__ = ["FrameReader"]


class FrameReader:
    """Shrinks decoded frames and judges them, a few at a time, off the event loop."""

    def __init__(self, config: CameraConfig, *, workers: int = 2) -> None:
        self._config = config
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="camera")
        # A face detector must not be shared by threads detecting at the same time.
        self._detectors = threading.local()
        # Parallelism comes from analysing several participants at once; OpenCV's own
        # threads inside one small frame only add contention.
        cv2.setNumThreads(1)

    async def read(
        self,
        frame: av.VideoFrame,
        *,
        at: float,
        previous: np.ndarray | None,
        spare: np.ndarray | None,
        face_due: bool,
        near: Box | None,
    ) -> tuple[np.ndarray, FrameReading]:
        """The frame as a small gray picture (written into ``spare`` when it fits) and
        what it shows, compared with ``previous``; the face detector runs only when
        ``face_due``, looking ``near`` the last face first.

        The caller must not touch ``spare`` or ``previous`` until this returns.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._read, frame, at, previous, spare, face_due, near
        )

    def close(self) -> None:
        """Wait for the analyses under way and stop the threads."""
        self._executor.shutdown(wait=True)

    def _read(
        self,
        frame: av.VideoFrame,
        at: float,
        previous: np.ndarray | None,
        spare: np.ndarray | None,
        face_due: bool,
        near: Box | None,
    ) -> tuple[np.ndarray, FrameReading]:
        gray = small_gray(frame, self._config.max_width, out=spare)
        detector = None
        if face_due:
            detector = getattr(self._detectors, "face", None)
            if detector is None:
                detector = self._detectors.face = load_face_detector()
        reading = read_frame(
            gray, at=at, previous=previous, detector=detector, config=self._config, near=near
        )
        return gray, reading

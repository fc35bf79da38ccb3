"""Camera pictures for the tests, made at test time from photos shipped in packages.

``face`` is the astronaut photo (one frontal face), ``room`` a lit room without anybody
in it (scikit-image's motorcycle in a workshop), ``black`` what Chrome sends for a
disabled track, ``backlit`` a dark, tilted face against a bright window. ``live`` makes a
still picture look like a camera's: a small drift and sensor noise, so that consecutive
frames are never identical.

For the face detector's evaluation, :func:`face_frames` places people's faces (the
astronaut, Grace Hopper from matplotlib's sample data, and the hundred faces of
scikit-image's subset of Labeled Faces in the Wild) in a frame as a video call shows them,
under each of :data:`CONDITIONS`, and :func:`non_face_frames` gives frames without anybody
in them: scenes, walls, windows, noise and patches that are not faces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from matplotlib import cbook
from skimage import data

WIDTH, HEIGHT = 320, 240
# Where a face is: x, y, width, height.
Box = tuple[int, int, int, int]
# The faces in the two portraits, as OpenCV's frontal-face cascade boxes them at full size.
ASTRONAUT_FACE: Box = (175, 66, 97, 97)
GRACE_HOPPER_FACE: Box = (152, 103, 228, 228)
# How the uplink's VP8 at 60 kbit/s is stood in for: JPEG of the luma at this quality.
UPLINK_QUALITY = 50


def fit(image: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """Crop the top of ``image`` to the frame's aspect ratio (faces are at the top of
    portraits) and scale it to ``width`` x ``height``."""
    rows, cols = image.shape[:2]
    crop_rows = min(rows, round(cols * height / width))
    return cv2.resize(image[:crop_rows], (width, height), interpolation=cv2.INTER_AREA)


def face(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB frame with one frontal face (the astronaut)."""
    return fit(data.astronaut(), width, height)


def room(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB frame of a lit room with nobody in it (a motorcycle in a workshop)."""
    return fit(data.stereo_motorcycle()[0], width, height)


def black(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB black frame."""
    return np.zeros((height, width, 3), np.uint8)


def backlit(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """An RGB frame of the astronaut's head tilted 20°, dark against a bright window."""
    photo, box = portraits()[0]
    rng = np.random.default_rng(7)
    scale = min(width / WIDTH, height / HEIGHT)
    return place(
        photo,
        box,
        window(rng, width, height),
        Pose(angle=20),
        centre=(width / 2, 0.42 * height),
        scale=scale,
        darken=BACKLIT_FACE,
    )


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


def uplink(rgb: np.ndarray, quality: int = UPLINK_QUALITY) -> np.ndarray:
    """What the server analyses of an RGB frame: its luma at 320x240, after a lossy
    compression standing in for the uplink's."""
    luma = gray(cv2.resize(rgb, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA))
    _, encoded = cv2.imencode(".jpg", luma, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)


# --- The face detector's evaluation -----------------------------------------------------

# A backlit face: the camera exposes for the window, and the face gets this share of its
# light.
BACKLIT_FACE = 0.3


@dataclass(frozen=True, kw_only=True)
class Pose:
    """How a face sits in the frame and what happens to the picture."""

    # The face's height as a share of the frame's.
    fraction: float = 0.3
    # Head tilt in degrees, alternately to the left and to the right.
    angle: float = 0
    # The picture stretched horizontally (a 4:3 camera shown as 16:9).
    stretch: float = 1.0
    mirrored: bool = False
    light: str = "even"  # "even", "dim" (gamma 2.2) or "backlit"
    covered: bool = False  # a hand over the mouth and chin
    quality: int = UPLINK_QUALITY


CONDITIONS: dict[str, Pose] = {
    "frontal, face 30 % of the height": Pose(),
    "tilted 10°": Pose(angle=10),
    "tilted 20°": Pose(angle=20),
    "tilted 30°": Pose(angle=30),
    "face 15 % of the height": Pose(fraction=0.15),
    "face 25 % of the height": Pose(fraction=0.25),
    "face 40 % of the height": Pose(fraction=0.4),
    "dim (gamma 2.2)": Pose(light="dim"),
    "backlit (window behind)": Pose(light="backlit"),
    "JPEG quality 20": Pose(quality=20),
    "mouth and chin covered": Pose(covered=True),
    "mirrored": Pose(mirrored=True),
    "stretched 1.33x": Pose(stretch=1.33),
}
# The least share of faces each condition must find, and of the mean over all of them.
FLOORS = {name: 0.75 for name in CONDITIONS} | {
    "tilted 30°": 0.6,
    "mouth and chin covered": 0.6,
}
MEAN_FLOOR = 0.9
# The most frames without a face in which a face may be seen, as a share of them.
MAX_FALSE_ALARMS = 0.01
# Each portrait appears this many times per condition, at different places and walls.
PORTRAIT_TAKES = 10


@cache
def portraits() -> list[tuple[np.ndarray, Box]]:
    """RGB photos of people and where each one's face is: the astronaut, Grace Hopper,
    and the hundred 25x25 faces of Labeled Faces in the Wild (the crop is the face)."""
    grace = cv2.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    crops = (data.lfw_subset()[:100] * 255).astype(np.uint8)
    lfw = [(cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB), (0, 0, 25, 25)) for crop in crops]
    return [
        (data.astronaut(), ASTRONAUT_FACE),
        (cv2.cvtColor(grace, cv2.COLOR_BGR2RGB), GRACE_HOPPER_FACE),
        *lfw,
    ]


def wall(rng: np.random.Generator, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """A plain wall lit from one side: an even colour with a gradient and a little grain."""
    colour = rng.uniform(70, 200, 3).astype(np.float32)
    ramp = np.linspace(-1, 1, width, dtype=np.float32)[None, :, None] * rng.uniform(-30, 30)
    grain = rng.integers(-3, 4, (height, width, 1), dtype=np.int8)
    return np.clip(colour + ramp + grain, 0, 255).astype(np.uint8)


def window(rng: np.random.Generator, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """A bright window filling the view, with the bars of its frame."""
    frame = np.full((height, width, 3), rng.uniform(225, 250), np.float64)
    bar = max(2, width // 40)
    for x in rng.uniform(0.1, 0.9, 2) * width:
        frame[:, int(x) : int(x) + bar] = rng.uniform(60, 110)
    y = int(rng.uniform(0.2, 0.5) * height)
    frame[y : y + bar] = rng.uniform(60, 110)
    return frame.astype(np.uint8)


def place(
    photo: np.ndarray,
    box: Box,
    background: np.ndarray,
    pose: Pose,
    *,
    centre: tuple[float, float],
    scale: float = 1.0,
    tilt: float = 1.0,
    darken: float = 1.0,
) -> np.ndarray:
    """``photo``'s person in front of ``background``, the face (``box``) centred on
    ``centre``, ``pose.fraction`` of a 240-row frame tall times ``scale``, tilted by
    ``pose.angle`` times ``tilt`` (its sign), and stretched by ``pose.stretch``."""
    x, y, width, height = box
    face_x, face_y = x + width / 2, y + height / 2
    photo = photo.copy()
    if pose.covered:
        _cover_mouth(photo, box)
    # The person: the head, and the shoulders below it; the rest of the photo is background.
    mask = np.zeros(photo.shape[:2], np.uint8)
    head = (round(face_x), round(face_y - 0.1 * height))
    cv2.ellipse(mask, head, (round(0.75 * width), round(0.8 * height)), 0, 0, 360, 255, -1)
    shoulders_top = round(face_y + 0.5 * height)
    mask[shoulders_top:, max(0, round(face_x - 1.6 * width)) : round(face_x + 1.6 * width)] = 255
    zoom = pose.fraction * HEIGHT * scale / height
    rotation = cv2.getRotationMatrix2D((face_x, face_y), tilt * pose.angle, zoom)
    rotation[:, 2] += np.array(centre) - (face_x, face_y)
    rotation[0] *= pose.stretch
    rotation[0, 2] -= (pose.stretch - 1) * centre[0]
    size = background.shape[1::-1]
    person = cv2.warpAffine(photo, rotation, size, flags=cv2.INTER_AREA)
    inside = cv2.warpAffine(mask, rotation, size, flags=cv2.INTER_NEAREST) > 0
    frame = background.copy()
    frame[inside] = (person[inside] * darken).astype(np.uint8)
    return frame


def _cover_mouth(photo: np.ndarray, box: Box) -> None:
    """A hand over the mouth and chin: a skin-coloured palm with the lines of its fingers."""
    x, y, width, height = box
    skin = photo[y + height // 4 : y + height // 2, x + width // 4 : x + 3 * width // 4]
    colour = tuple(float(c) for c in np.clip(skin.reshape(-1, 3).mean(0) * 1.1, 0, 255))
    centre = (round(x + width / 2), round(y + 0.85 * height))
    axes = (round(0.5 * width), round(0.27 * height))
    cv2.ellipse(photo, centre, axes, 0, 0, 360, colour, -1)
    shade = tuple(0.75 * c for c in colour)
    for row in (0.72, 0.82, 0.92):
        left, right = round(x + 0.15 * width), round(x + 0.85 * width)
        cv2.line(photo, (left, round(y + row * height)), (right, round(y + row * height)), shade)


def face_frames(pose: Pose) -> list[tuple[np.ndarray, Box]]:
    """Analysed frames (320x240 luma after compression) of every person in
    :func:`portraits` in ``pose``, each with where its face is."""
    frames = []
    people = portraits()
    takes = [(photo, box, take) for photo, box in people[:2] for take in range(PORTRAIT_TAKES)]
    takes += [(photo, box, 0) for photo, box in people[2:]]
    for index, (photo, box, take) in enumerate(takes):
        rng = np.random.default_rng(1000 * index + take)
        centre = (rng.uniform(0.35, 0.65) * WIDTH, rng.uniform(0.36, 0.5) * HEIGHT)
        backlit = pose.light == "backlit"
        frame = place(
            photo,
            box,
            window(rng) if backlit else wall(rng),
            pose,
            centre=centre,
            tilt=1 if index % 2 else -1,
            darken=BACKLIT_FACE if backlit else 1.0,
        )
        if pose.light == "dim":
            frame = (255 * (frame / 255) ** 2.2).astype(np.uint8)
        truth = _truth(box, pose, centre)
        if pose.mirrored:
            frame = frame[:, ::-1]
            truth = (WIDTH - truth[0] - truth[2], *truth[1:])
        frames.append((uplink(frame, pose.quality), truth))
    return frames


def _truth(box: Box, pose: Pose, centre: tuple[float, float]) -> Box:
    """Where the face is in the frame."""
    height = pose.fraction * HEIGHT
    width = height * box[2] / box[3] * pose.stretch
    return (
        round(centre[0] - width / 2),
        round(centre[1] - height / 2),
        round(width),
        round(height),
    )


def is_the_face(found: Box | None, truth: Box) -> bool:
    """Whether a detector's box is the face: its centre is inside the true face's box."""
    if found is None:
        return False
    x, y = found[0] + found[2] / 2, found[1] + found[3] / 2
    return truth[0] <= x <= truth[0] + truth[2] and truth[1] <= y <= truth[1] + truth[3]


# Scenes shipped with scikit-image in which nobody is seen.
SCENES = (
    "brick",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "colorwheel",
    "grass",
    "gravel",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "page",
    "retina",
    "rocket",
    "stereo_motorcycle",
    "text",
)
SCENE_VIEWS = 12
PLAIN_VIEWS = 40


def non_face_frames() -> list[np.ndarray]:
    """Analysed frames with nobody in them: views of scikit-image's scenes (whole and
    zoomed in), walls, windows, noise, and the hundred patches of Labeled Faces in the
    Wild that are not faces, at a face's size on a wall."""
    rng = np.random.default_rng(0)
    frames = []
    for name in SCENES:
        scene = getattr(data, name)()
        if isinstance(scene, tuple):
            scene = scene[0]
        scene = np.asarray(scene, np.uint8) * (255 if scene.dtype == bool else 1)
        if scene.ndim == 2:
            scene = cv2.cvtColor(scene, cv2.COLOR_GRAY2RGB)
        for _ in range(SCENE_VIEWS):
            frames.append(uplink(_view(scene[..., :3], rng)))
    for _ in range(PLAIN_VIEWS):
        frames.append(uplink(wall(rng)))
        frames.append(uplink(window(rng)))
        noise = rng.normal(128, rng.uniform(5, 60), (HEIGHT // 4, WIDTH // 4, 3))
        blobs = cv2.resize(np.clip(noise, 0, 255).astype(np.uint8), (WIDTH, HEIGHT))
        frames.append(uplink(blobs))
    patches = (data.lfw_subset()[100:] * 255).astype(np.uint8)
    for patch in patches:
        rgb = cv2.cvtColor(patch, cv2.COLOR_GRAY2RGB)
        centre = (rng.uniform(0.35, 0.65) * WIDTH, rng.uniform(0.36, 0.5) * HEIGHT)
        frames.append(uplink(place(rgb, (0, 0, 25, 25), wall(rng), Pose(), centre=centre)))
    return frames


def _view(scene: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random 4:3 view of ``scene``, from all of it to a quarter of its width."""
    rows, cols = scene.shape[:2]
    width = min(cols, rows * 4 / 3) * rng.uniform(0.25, 1.0)
    height = width * 3 / 4
    left = rng.uniform(0, cols - width)
    top = rng.uniform(0, rows - height)
    crop = scene[int(top) : int(top + height), int(left) : int(left + width)]
    return cv2.resize(crop, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)

"""Reads QR codes from webcam frames and photographs: a cheap zxing-cpp pass first, harder retries within a budget.

Every zxing-cpp call also tries the inverted image (light modules on dark: phones in dark mode, some printed cards)
and reads mirrored symbols (seen through glass, from the back of a sticker, by a mirroring camera). Images larger than
a webcam frame (phone photos of 3000 px and more) are scaled down first, so they cost about what a webcam frame does;
the full resolution is used only for crops around symbols seen but not read, and as a last resort.
"""
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache, partial

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

# How much a stage's latest cost counts in its running estimate.
COST_WEIGHT = 0.2
# A skipped stage's estimate shrinks by this factor, so one slow run on a busy machine does not bar it for good.
SKIPPED_DECAY = 0.9
# Crops around symbols zxing found but could not read: at most this many, this much wider than the symbol each side.
MAX_CANDIDATES = 2
CANDIDATE_MARGIN = 0.5
# Boxes overlapping this much are one symbol seen twice.
SAME_BOX_IOU = 0.3
# Crops are enlarged (at most twice) to about this side: small codes gain, large crops stay cheap.
CROP_SIDE = 600
# Defocus blurs (Gaussian sigma, frame pixels) undone on crops: enough to smear the 3-4 px modules of a small code.
DEFOCUS_SIGMAS = (1.6, 2.2)
# The same for small images before they are enlarged: their modules are narrower, so are the blurs that erase them.
SMALL_DEFOCUS_SIGMAS = (1.0, 1.6)
# Wiener noise-to-signal ratio: low enough to restore module edges, high enough not to amplify JPEG noise into them.
WIENER_NSR = 0.01
# Images with at least four times as many pixels as a 1280x960 frame are scaled down by a whole factor first.
WORKING_PIXELS = 1280 * 960
# Images with at most half as many are also read enlarged (Lanczos, at most 3x): small photos and screenshots whose
# modules are only one or two pixels wide.
SMALL_PIXELS = WORKING_PIXELS // 2
MAX_UPSAMPLING = 3.0
# Texts as the symbol encodes them (control characters included), not zxing's human-readable escapes ("<GS>").
TEXT_MODE = zxingcpp.TextMode.Plain
QR = zxingcpp.BarcodeFormat.QRCode

Box = tuple[int, int, int, int]


@dataclass
class Attempt:
    """One frame being decoded: its grayscale image, when time is up, the texts read, where unread symbols were seen.

    `gray` is the working image, `frame` the image as given and `scale` the ratio between them (1.0 for webcam
    frames); boxes are in working-image pixels.
    """

    gray: np.ndarray
    deadline: float
    texts: set[str] = field(default_factory=set)
    boxes: list[Box] = field(default_factory=list)
    frame: np.ndarray | None = None
    scale: float = 1.0

    @cached_property
    def full(self) -> np.ndarray:
        """The frame in grayscale at its own resolution, made only if a stage needs it."""
        return self.gray if self.scale == 1 or self.frame is None else grayscale(self.frame)

    @cached_property
    def sharp(self) -> np.ndarray:
        """The frame sharpened once, for both the sharpened and the enlarged pass."""
        return sharpened(self.gray)


Stage = Callable[[Attempt], None]
Reader = Callable[[np.ndarray], list[str]]


def zxing(image: np.ndarray, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage) -> list[str]:
    """QR texts zxing-cpp reads at this resolution, dark-on-light or else inverted, straight or mirrored."""
    options = dict(try_rotate=False, try_downscale=False, try_invert=False, binarizer=binarizer, text_mode=TEXT_MODE)
    return ([r.text for r in zxingcpp.read_barcodes(image, formats=QR, **options)]
            or [r.text for r in zxingcpp.read_barcodes(cv2.bitwise_not(image), formats=QR, **options)])


def zbar(image: np.ndarray) -> list[str]:
    """QR texts libzbar reads (through pyzbar)."""
    return [r.data.decode("utf-8", "replace") for r in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])]


def sharpened(gray: np.ndarray, sigma: float = 2.5, amount: float = 1.5) -> np.ndarray:
    """Unsharp mask: steepens module edges softened by defocus or motion."""
    return cv2.addWeighted(gray, 1 + amount, cv2.GaussianBlur(gray, (0, 0), sigma), -amount, 0)


def enlarged(gray: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


@lru_cache(maxsize=16)
def wiener_kernel(sigma: float) -> np.ndarray:
    """A small spatial kernel inverting a Gaussian blur of `sigma` pixels (Wiener filter), for cv2.filter2D."""
    size, radius = 64, int(round(3 * sigma))
    fy, fx = np.fft.fftfreq(size)[:, None], np.fft.fftfreq(size)[None, :]
    blur = np.exp(-2 * np.pi**2 * sigma**2 * (fx**2 + fy**2))
    kernel = np.fft.fftshift(np.real(np.fft.ifft2(blur / (blur**2 + WIENER_NSR))))
    centre = size // 2
    kernel = kernel[centre - radius:centre + radius + 1, centre - radius:centre + radius + 1].astype(np.float32)
    return kernel / kernel.sum()


def deblurred(gray: np.ndarray, sigma: float) -> np.ndarray:
    """Defocus undone by Wiener deconvolution: recovers modules smeared together, where unsharp masking is too weak."""
    return cv2.filter2D(gray, -1, wiener_kernel(round(sigma, 1)))


def stretched(gray: np.ndarray) -> np.ndarray:
    """Smoothed, then its range spread over 0-255: for dark, washed-out and noisy crops."""
    return cv2.normalize(cv2.GaussianBlur(gray, (0, 0), 1.2), None, 0, 255, cv2.NORM_MINMAX)


def scan_whole(attempt: Attempt, image: np.ndarray, scale: float = 1.0, downscale: bool = False,
               invert: bool = False) -> None:
    """zxing-cpp over a whole (transformed) frame; symbols it sees but cannot read are kept as candidates.

    With invert, an image in which nothing is read is also read inverted (light modules on dark). zxing-cpp's own
    try_invert would search the inverted image even after a read, since it looks for every symbol in the frame.
    """
    _scan(attempt, image, scale, downscale)
    if invert and not attempt.texts:
        _scan(attempt, cv2.bitwise_not(image), scale, downscale)


def _scan(attempt: Attempt, image: np.ndarray, scale: float, downscale: bool) -> None:
    for result in zxingcpp.read_barcodes(image, formats=QR, try_rotate=False, try_invert=False,
                                         try_downscale=downscale, return_errors=True, text_mode=TEXT_MODE):
        if result.valid:
            attempt.texts.add(result.text)
        else:
            attempt.boxes.append(_box(result.position, scale))


def _box(position: zxingcpp.Position, scale: float) -> Box:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    xs, ys = [p.x / scale for p in corners], [p.y / scale for p in corners]
    return int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))


def zxing_plain(attempt: Attempt) -> None:
    """The cheap path: the grayscale frame as it is, plus zxing's own downscaled copies (large or blurred codes),
    then inverted if nothing was read (a dark-mode screen)."""
    scan_whole(attempt, attempt.gray, downscale=True, invert=True)


def zxing_sharpened(attempt: Attempt) -> None:
    """Sharpened, and its downscaled copies: defocused and motion-blurred codes, dim ones found at a coarser scale."""
    scan_whole(attempt, attempt.sharp, downscale=True)


def zxing_enlarged(attempt: Attempt) -> None:
    """Sharpened and 1.5 times larger, so modules of small codes are wide enough for the finder-pattern search."""
    scan_whole(attempt, enlarged(attempt.sharp, 1.5), scale=1.5)


def zxing_upsampled(attempt: Attempt) -> None:
    """A small image enlarged towards the working size, as it is, sharpened, and with a slight or moderate defocus
    undone (deblurring after enlarging, so the kernel is wide enough to be accurate)."""
    pixels = attempt.gray.shape[0] * attempt.gray.shape[1]
    if pixels > SMALL_PIXELS:
        return
    factor = min(MAX_UPSAMPLING, (WORKING_PIXELS / pixels) ** 0.5)
    large = cv2.resize(attempt.gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_LANCZOS4)
    views = (lambda: large, lambda: sharpened(large, factor, 1.5),
             *(partial(deblurred, large, sigma * factor) for sigma in SMALL_DEFOCUS_SIGMAS))
    for view in views:
        scan_whole(attempt, view(), scale=factor)
        if attempt.texts or time.perf_counter() > attempt.deadline:
            return


def zxing_full_resolution(attempt: Attempt) -> None:
    """A photograph scaled down for the first passes, read at its own resolution: small codes in large photos.

    Only without a time limit (files): a whole 12-megapixel pass costs two or three webcam frames' budget.
    """
    if attempt.scale < 1 and attempt.deadline == float("inf"):
        scan_whole(attempt, attempt.full, scale=1 / attempt.scale)


def candidates(attempt: Attempt, readers: Sequence[Reader]) -> None:
    """Crops around the symbols seen but not read, cleaned up several ways, given to each reader in turn.

    A fast reader (zxing-cpp, under a millisecond on a crop) sees every view of every crop before a slow one (pyzbar,
    several milliseconds) is tried; views are made when first needed, cheapest and most often successful first.
    Crops of small symbols in a scaled-down photograph come from its full resolution.
    """
    views = [cache(partial(make, crop)) for crop in _crops(attempt) for make in VIEWS]
    for read in readers:
        for view in views:
            if attempt.texts or time.perf_counter() > attempt.deadline:
                return
            attempt.texts.update(read(view()))


def _factor(crop: np.ndarray) -> float:
    return max(1.0, min(2.0, CROP_SIDE / max(crop.shape)))


def _deblurred_view(crop: np.ndarray, sigma: float) -> np.ndarray:
    return enlarged(deblurred(crop, sigma), _factor(crop))


def _enlarged_view(crop: np.ndarray) -> np.ndarray:
    return enlarged(crop, _factor(crop))


def _sharpened_view(crop: np.ndarray) -> np.ndarray:
    return enlarged(sharpened(crop, 2.0, 3.0), _factor(crop))


VIEWS = (stretched, *(partial(_deblurred_view, sigma=sigma) for sigma in DEFOCUS_SIGMAS), _enlarged_view,
         _sharpened_view)


def _crops(attempt: Attempt) -> list[np.ndarray]:
    """Regions seen most often (several stages, several finder-pattern triples), with room for the quiet zone."""
    clusters: list[tuple[Box, int]] = []
    for box in attempt.boxes:
        match = next((i for i, (seen, _) in enumerate(clusters) if _iou(seen, box) > SAME_BOX_IOU), None)
        if match is None:
            clusters.append((box, 1))
        else:
            seen, votes = clusters[match]
            clusters[match] = (_union(seen, box), votes + 1)
    clusters.sort(key=lambda cluster: (-cluster[1], -_area(cluster[0])))
    crops = []
    for (x0, y0, x1, y1), _ in clusters[:MAX_CANDIDATES]:
        margin = int(CANDIDATE_MARGIN * max(x1 - x0, y1 - y0)) + 4
        x0, y0, x1, y1 = max(x0 - margin, 0), max(y0 - margin, 0), x1 + margin, y1 + margin
        crop = attempt.gray[y0:y1, x0:x1]
        if attempt.scale < 1 and max(crop.shape or (0,)) < CROP_SIDE:
            # A small symbol in a scaled-down photo: the same region at full resolution, reduced by a whole factor
            # (fast) to about CROP_SIDE.
            crop = attempt.full[int(y0 / attempt.scale):int(y1 / attempt.scale),
                                int(x0 / attempt.scale):int(x1 / attempt.scale)]
            factor = -(-max(crop.shape or (1,)) // CROP_SIDE)
            if factor > 1:
                crop = cv2.resize(crop, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
        crops.append(crop)
    return [crop for crop in crops if min(crop.shape) >= 16]


def _area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _iou(a: Box, b: Box) -> float:
    inner = _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    return inner / (_area(a) + _area(b) - inner or 1)


zxing_global = partial(zxing, binarizer=zxingcpp.Binarizer.GlobalHistogram)
WHOLE_FRAME_STAGES: tuple[Stage, ...] = (zxing_plain, zxing_sharpened, zxing_enlarged)
STAGES: tuple[Stage, ...] = (*WHOLE_FRAME_STAGES, zxing_upsampled,
                             partial(candidates, readers=(zxing, zxing_global, zbar)), zxing_full_resolution)


def grayscale(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3 and frame.shape[2] == 1:
        return frame[..., 0]
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def working_copy(frame: np.ndarray) -> tuple[np.ndarray, float]:
    """The image in grayscale, a large one first scaled down by the whole factor that brings it nearest
    WORKING_PIXELS; and the scale (1/factor). Images under four times the working size are left as they are.

    Scaled before the colour conversion, and by bilinear sampling: 4 ms for a 4K colour frame, where converting
    first and averaging blocks (INTER_AREA) took 15 ms and read no more codes of the benchmark's 4K or 4000 px sets.
    """
    factor = int((frame.shape[0] * frame.shape[1] / WORKING_PIXELS) ** 0.5 + 0.5)
    if factor < 2:
        return grayscale(frame), 1.0
    return grayscale(cv2.resize(frame, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_LINEAR)), 1 / factor


class Decoder:
    """Decodes frames stage by stage, stopping at the first stage that reads a code or when the budget is spent.

    Not thread-safe: it learns what each stage costs; use one per thread.
    """

    def __init__(self, budget_ms: float = 30.0, stages: Sequence[Stage] = STAGES) -> None:
        self.budget_ms = budget_ms
        self.stages = tuple(stages)
        self._cost_ms = [0.0] * len(self.stages)

    def decode(self, frame: np.ndarray) -> list[str]:
        """Texts of the QR codes in a BGR or grayscale frame, deduplicated and sorted; [] when none is read."""
        started = time.perf_counter()
        working, scale = working_copy(frame)
        attempt = Attempt(working, started + self.budget_ms / 1000, frame=frame, scale=scale)
        for index, stage in enumerate(self.stages):
            # The first stage always runs; a later one only if it is expected to finish within the budget.
            if index and _since(started) + self._cost_ms[index] > self.budget_ms:
                self._cost_ms[index] *= SKIPPED_DECAY
                continue
            stage_started = time.perf_counter()
            stage(attempt)
            self._learn(index, _since(stage_started))
            if attempt.texts:
                break
        return sorted(attempt.texts)

    def _learn(self, index: int, cost_ms: float) -> None:
        previous = self._cost_ms[index]
        self._cost_ms[index] = cost_ms if previous == 0 else previous + COST_WEIGHT * (cost_ms - previous)


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def load_image(data: bytes | np.ndarray) -> np.ndarray | None:
    """An encoded image (PNG, JPEG, BMP, TIFF, WebP ...) as 8-bit grayscale; None if it is not one.

    Transparent pixels count as white paper (codes exported with a transparent background), 16-bit images are
    reduced to 8 bits.
    """
    buffer = np.frombuffer(data, np.uint8) if isinstance(data, bytes) else data
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED) if buffer.size else None
    if image is None:
        return None
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:].astype(np.float32) / 255
        image = (image[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return grayscale(image)


def decode_file(path: str) -> list[str]:
    """Texts of the QR codes in an image file (any format OpenCV reads), every stage tried; ValueError if no image."""
    # cv2.imread cannot open non-ASCII paths on Windows (C:\Users\张三\...); decoding the bytes can.
    image = load_image(np.fromfile(path, np.uint8))
    if image is None:
        raise ValueError(f"not an image OpenCV can read: {path!r}")
    return Decoder(budget_ms=float("inf")).decode(image)

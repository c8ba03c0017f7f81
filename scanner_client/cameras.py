"""Which cameras exist; and one camera read on its own thread, so a stuck or unplugged camera never freezes the window.
"""
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

V4L2 = Path("/sys/class/video4linux")
# Where the system cannot list cameras (Windows, macOS), indices are opened in turn until this many in a row fail.
PROBE_LIMIT = 8
PROBE_MISSES = 2
# Reads failing this many times in a row, or no frame for this long, mean the camera stopped.
MAX_READ_FAILURES = 10
STALL_SECONDS = 3.0


@dataclass(frozen=True)
class Camera:
    index: int
    name: str

    @property
    def label(self) -> str:
        return f"{self.index}：{self.name}"


def list_cameras(sysfs: Path = V4L2, probe: Callable[[int], bool] | None = None) -> list[Camera]:
    """The cameras that exist, with the names the system gives them.

    Linux lists video devices in sysfs with their names; only capture nodes count (a UVC webcam also has a metadata
    node, index 1). Elsewhere each index is opened briefly.
    """
    if platform.system() == "Linux" and probe is None:
        cameras = []
        for node in sorted(sysfs.glob("video*"), key=lambda path: _number(path.name)):
            if _read(node / "index", "0") != "0":
                continue
            number = _number(node.name)
            cameras.append(Camera(number, _read(node / "name", f"摄像头 {number}")))
        return cameras
    probe = probe or _opens
    cameras, misses = [], 0
    for index in range(PROBE_LIMIT):
        if probe(index):
            cameras.append(Camera(index, f"摄像头 {index}"))
            misses = 0
        else:
            misses += 1
            if misses >= PROBE_MISSES:
                break
    return cameras


def _number(name: str) -> int:
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits) if digits else 0


def _read(path: Path, default: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or default
    except OSError:
        return default


def _opens(index: int) -> bool:
    capture = cv2.VideoCapture(index)
    try:
        return capture.isOpened()
    finally:
        capture.release()


class CameraFeed:
    """One camera read continuously on a daemon thread; the window takes the newest frame when it wants one.

    status(): "opening", "live", "failed" (could not be opened) or "stopped" (reads fail, or no frame for a while).
    """

    def __init__(self, index: int, open_capture: Callable[[int], Any] = cv2.VideoCapture,
                 stall_seconds: float = STALL_SECONDS) -> None:
        self.index, self.open_capture, self.stall_seconds = index, open_capture, stall_seconds
        self._lock = threading.Lock()
        self._state, self._frame, self._number = "opening", None, 0
        self._last_frame_at = time.monotonic()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-{index}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            capture = self.open_capture(self.index)
        except Exception:  # noqa: BLE001 - a broken driver must end in "failed", not a dead thread
            capture = None
        if capture is None or not capture.isOpened():
            self._set_state("failed")
            return
        self._set_state("live")
        failures = 0
        try:
            while not self._closed.is_set():
                ok, frame = capture.read()
                if ok and frame is not None:
                    failures = 0
                    with self._lock:
                        self._frame, self._number = frame, self._number + 1
                        self._last_frame_at = time.monotonic()
                    continue
                failures += 1
                if failures >= MAX_READ_FAILURES:
                    self._set_state("stopped")
                    return
                time.sleep(0.05)
        finally:
            capture.release()

    def _set_state(self, state: str) -> None:
        with self._lock:
            self._state = state
            self._last_frame_at = time.monotonic()

    def status(self) -> str:
        with self._lock:
            if self._state == "live" and time.monotonic() - self._last_frame_at > self.stall_seconds:
                return "stopped"
            if self._state == "opening" and time.monotonic() - self._last_frame_at > 4 * self.stall_seconds:
                return "failed"
            return self._state

    def latest(self) -> tuple[int, Any]:
        """(number of the newest frame, the frame); the number grows by one with every frame read."""
        with self._lock:
            return self._number, self._frame

    def close(self, wait_seconds: float = 2.0) -> None:
        """Stop reading and release the camera; waits for the reader so no capture is still open at exit (a native
        capture torn down by the interpreter's exit aborts the process)."""
        self._closed.set()
        if self._thread is not threading.current_thread():
            self._thread.join(wait_seconds)


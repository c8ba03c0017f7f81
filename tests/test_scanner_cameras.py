"""Which cameras the window offers, and how a camera that cannot open or stops is noticed (no real camera needed)."""
import time

import numpy as np
import pytest

from scanner_client import cameras
from scanner_client.cameras import Camera, CameraFeed, list_cameras

pytestmark = pytest.mark.nodb


def _node(root, name, label, index="0"):
    (root / name).mkdir()
    (root / name / "name").write_text(label + "\n", encoding="utf-8")
    (root / name / "index").write_text(index + "\n", encoding="utf-8")


def test_linux_cameras_come_from_sysfs_with_their_names_and_no_metadata_nodes(tmp_path, monkeypatch):
    monkeypatch.setattr(cameras.platform, "system", lambda: "Linux")
    _node(tmp_path, "video0", "Integrated Webcam: Integrated C")
    _node(tmp_path, "video1", "Integrated Webcam: Integrated C", index="1")  # the same camera's metadata node
    _node(tmp_path, "video10", "USB2.0 HD UVC WebCam")
    _node(tmp_path, "video2", "HD Pro Webcam C920")
    assert list_cameras(tmp_path) == [Camera(0, "Integrated Webcam: Integrated C"), Camera(2, "HD Pro Webcam C920"),
                                      Camera(10, "USB2.0 HD UVC WebCam")]
    assert Camera(2, "HD Pro Webcam C920").label == "2：HD Pro Webcam C920"


def test_no_video_devices_means_no_cameras(tmp_path, monkeypatch):
    monkeypatch.setattr(cameras.platform, "system", lambda: "Linux")
    assert list_cameras(tmp_path / "absent") == []


def test_elsewhere_indices_are_probed_until_two_in_a_row_fail():
    opened = {0, 1, 3}
    assert list_cameras(probe=lambda index: index in opened) == [Camera(0, "摄像头 0"), Camera(1, "摄像头 1"),
                                                                 Camera(3, "摄像头 3")]


class Capture:
    def __init__(self, opened, frames):
        self.opened, self.frames = opened, frames

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self):
        time.sleep(0.005)
        if self.frames:
            self.frames -= 1
            return True, np.zeros((4, 4, 3), np.uint8)
        return False, None

    def release(self):
        pass


def _wait_for(feed, state, seconds=5.0):
    deadline = time.monotonic() + seconds
    while feed.status() != state and time.monotonic() < deadline:
        time.sleep(0.01)
    return feed.status()


def test_a_camera_that_cannot_open_fails():
    assert _wait_for(CameraFeed(0, lambda index: Capture(False, 0)), "failed") == "failed"


def test_a_camera_whose_reads_fail_stops_after_its_frames():
    feed = CameraFeed(0, lambda index: Capture(True, 5))
    assert _wait_for(feed, "stopped") == "stopped"
    assert feed.latest()[0] == 5


def test_a_camera_that_hangs_counts_as_stopped():
    class Hanging(Capture):
        def read(self):
            time.sleep(10)
            return False, None

    feed = CameraFeed(0, lambda index: Hanging(True, 0), stall_seconds=0.2)
    assert _wait_for(feed, "stopped", seconds=2) == "stopped"
    feed.close(wait_seconds=0)


def test_closing_a_live_camera_releases_it_before_returning():
    """No capture may still be open when the window exits: the interpreter's teardown of one aborts the process."""
    class Live(Capture):
        released = False

        def read(self):
            time.sleep(0.005)
            return True, np.zeros((4, 4, 3), np.uint8)

        def release(self):
            Live.released = True

    feed = CameraFeed(0, lambda index: Live(True, 0))
    assert _wait_for(feed, "live") == "live"
    feed.close()
    assert Live.released

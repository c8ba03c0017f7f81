"""Runs the counter window in its own process for the window tests, and prints one JSON report of what it showed.

Tk holds its X connection until the process ends, so the window lives here, not in pytest. The report holds the card
after the scan (state, colour, every text with its role and font size, the buttons), the masked name's geometry, the
preview's size against the frame's, and, on request, the card after clicking the first confirm button and the rows
of the history window. --screenshot FILE saves the window after the scan as a PNG, --screenshot-confirmed and
--screenshot-history the later states.

--camera-mode picks a camera instead of an image: "none" (no camera on the system), "fails" (one listed, it cannot be
opened), "stops" (one listed, it gives a few frames of --image, or a gray 4:3 picture, then nothing) or "live" (it
keeps giving them).
"""
import argparse
import json
import sys
import time
import tkinter as tk
from tkinter import font as tkfont

import cv2
import numpy as np
from PIL import ImageGrab

from scanner_client import gui
from scanner_client.api import StaffApi
from scanner_client.cameras import Camera
from scanner_client.core import Scanner
from scanner_client.outbox import Outbox


class FakeCapture:
    """A cv2.VideoCapture stand-in: opened or not, then `frames` good reads, then failures."""

    def __init__(self, opened: bool, frame: np.ndarray | None = None, frames: int = 0) -> None:
        self.opened, self.frame, self.left = opened, frame, frames

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self):
        time.sleep(0.03)
        if self.left > 0:
            self.left -= 1
            return True, self.frame.copy()
        return False, None

    def release(self) -> None:
        pass


def pump(root: tk.Tk, until, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        root.update()
        if until():
            break
        time.sleep(0.02)
    for _ in range(5):  # let geometry settle before anything is measured or grabbed
        root.update()
        time.sleep(0.02)


def font_size(root: tk.Tk, widget: tk.Widget) -> int:
    return abs(int(tkfont.Font(root=root, font=widget.cget("font")).actual("size")))


def card(root: tk.Tk, window: gui.Window) -> dict:
    texts = [{"role": role, "text": label.cget("text"), "size": font_size(root, label),
              "wraplength": int(str(label.cget("wraplength")) or 0), "width": label.winfo_width(),
              "reqwidth": label.winfo_reqwidth(), "height": label.winfo_height(),
              "linespace": tkfont.Font(root=root, font=label.cget("font")).metrics("linespace")}
             for role, label in window.labels]
    return {"state": window.state, "color": window.panel.cget("bg"), "headline": window.headline_text(),
            "texts": texts, "buttons": [button.cget("text") for button in window.buttons],
            "panel_width": window.panel.winfo_width()}


def grab(root: tk.Tk | tk.Toplevel, path: str) -> None:
    root.update()
    x, y = root.winfo_rootx(), root.winfo_rooty()
    ImageGrab.grab(bbox=(x, y, x + root.winfo_width(), y + root.winfo_height())).save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    for option in ("--server", "--username", "--password", "--outbox"):
        parser.add_argument(option, required=True)
    parser.add_argument("--image")
    parser.add_argument("--camera-mode", choices=("none", "fails", "stops", "live"))
    parser.add_argument("--device", default="counter-1")
    parser.add_argument("--click", action="store_true")
    parser.add_argument("--history", action="store_true")
    parser.add_argument("--screenshot")
    parser.add_argument("--screenshot-confirmed")
    parser.add_argument("--screenshot-history")
    args = parser.parse_args()
    api = StaffApi(args.server)
    api.login(args.username, args.password)
    root = tk.Tk()
    root.geometry("+0+0")
    scanner = Scanner(api, Outbox(args.outbox), device=args.device)
    if args.camera_mode:
        frame = cv2.imread(args.image) if args.image else np.full((480, 640, 3), 128, np.uint8)
        listed = [] if args.camera_mode == "none" else [Camera(0, "USB Camera")]
        capture = FakeCapture(args.camera_mode in ("stops", "live"), frame,
                              frames=10**6 if args.camera_mode == "live" else 40)
        window = gui.Window(root, scanner, camera=0, images=[], video=None, confirm=None,
                            cameras=lambda: listed, open_capture=lambda index: capture)
        if args.camera_mode == "live":
            pump(root, lambda: window.state == "idle" and window.photo is not None)
        else:
            pump(root, lambda: window.state == "camera", seconds=20)
    else:
        window = gui.Window(root, scanner, camera=0, images=[args.image], video=None, confirm=None)
        pump(root, lambda: window.state not in ("", "idle"))
    report = {"scan": card(root, window),
              "preview": {"photo": [window.photo.width(), window.photo.height()] if window.photo else None,
                          "frame": list(window.frame_shape[::-1]) if window.frame_shape else None,
                          "box": list(gui.PREVIEW_SIZE)},
              "camera_choices": list(window.camera_choice.cget("values"))}
    if args.screenshot:
        grab(root, args.screenshot)
    confirm_buttons = [button for button in window.buttons if button.cget("text") == gui.text.CONFIRM]
    if args.click and confirm_buttons:
        confirm_buttons[0].invoke()
        pump(root, lambda: window.state not in ("", "idle", "valid") and window.headline_text() != gui.text.CONFIRMING)
        report["confirmed"] = card(root, window)
        if args.screenshot_confirmed:
            grab(root, args.screenshot_confirmed)
    if args.history:
        window.open_history()
        pump(root, lambda: bool(window.history_window.rows))
        report["history"] = window.history_window.rows
        if args.screenshot_history:
            window.history_window.top.geometry("+0+0")
            pump(root, lambda: False, seconds=0.3)
            grab(window.history_window.top, args.screenshot_history)
    root.destroy()
    print(json.dumps(report, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

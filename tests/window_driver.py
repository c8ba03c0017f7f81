"""Runs the counter window in its own process for the window tests: shows one image, optionally clicks confirm.

Prints one JSON object: the headline and panel colour after the scan, the confirm buttons, and (after a click)
the headline after confirming. Tk holds its X connection until the process ends, so it lives here, not in pytest.
"""
import argparse
import json
import sys
import time
import tkinter as tk

from PIL import ImageGrab

from scanner_client import gui
from scanner_client.api import StaffApi
from scanner_client.core import Scanner
from scanner_client.outbox import Outbox

IDLE = "请出示身份二维码"


def pump(root: tk.Tk, window: gui.Window, until, seconds: float = 15.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        root.update()
        text = window.headline.cget("text")
        if until(text):
            return text
        time.sleep(0.02)
    return window.headline.cget("text")


def main() -> None:
    parser = argparse.ArgumentParser()
    for option in ("--server", "--username", "--password", "--image", "--outbox"):
        parser.add_argument(option, required=True)
    parser.add_argument("--click", action="store_true")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    api = StaffApi(args.server)
    api.login(args.username, args.password)
    root = tk.Tk()
    window = gui.Window(root, Scanner(api, Outbox(args.outbox)), camera=0, images=[args.image], video=None,
                        confirm=None)
    report = {"headline": pump(root, window, lambda text: text != IDLE), "color": window.panel.cget("bg"),
              "buttons": [button.cget("text") for button in window.actions.winfo_children()]}
    root.update()
    if args.screenshot:
        ImageGrab.grab().save(args.screenshot)
    if args.click and window.actions.winfo_children():
        window.actions.winfo_children()[0].invoke()
        report["after_click"] = pump(root, window, lambda text: text not in (IDLE, "正在确认…"))
    root.destroy()
    print(json.dumps(report, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Headless mode: frames from image or video files, one JSON line per decision on standard output."""
import json
import sys
import time
from collections.abc import Iterator
from typing import TextIO

import cv2
import numpy as np

from scanner_client.core import UNDECIDED, Decision, Scanner
from scanner_client.decoder import load_image
from scanner_client.exits import headless_status
from scanner_client.outbox import Outcome

RETRY_INTERVAL_SECONDS = 1.0


def frames(images: list[str], video: str | None) -> Iterator[tuple[str, object]]:
    """(source name, frame) for each image (grayscale, read as `decode` reads it), then each frame of the video."""
    for path in images:
        try:
            frame = load_image(np.fromfile(path, np.uint8))
        except OSError:
            frame = None
        if frame is None:
            print(f"cannot read image {path}", file=sys.stderr)
            continue
        yield path, frame
    if video:
        capture = cv2.VideoCapture(video)
        number = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            yield f"{video}#{number}", frame
            number += 1
        capture.release()


def _emit(decision: Decision, out: TextIO) -> None:
    out.write(json.dumps(decision.as_json(), ensure_ascii=False) + "\n")
    out.flush()


def _emit_acknowledgement(outcome: Outcome, out: TextIO) -> None:
    _emit(Decision("outbox", outcome.token, outcome.state == "acknowledged", outcome.refusal, None, [],
                   redemption=outcome.redemption, extra={"acknowledged": outcome.state == "acknowledged"}), out)


def run(scanner: Scanner, images: list[str], video: str | None, confirm: int | None, drain_seconds: float,
        out: TextIO = sys.stdout) -> int:
    """Process every frame, then keep retrying queued confirmations for up to `drain_seconds`.

    Returns the exit status (scanner_client.exits): 3 if a code could be decided neither online nor offline or a
    confirmation is still queued, else 1 if a code or a confirmation was refused, else 4 if no code was read, else 0.
    A decision made offline counts as the server's would; its upload waits in the outbox without holding the exit.
    """
    for outcome in scanner.retry_pending():
        if outcome.state != "pending":
            _emit_acknowledgement(outcome, out)
    refused = unanswered = False
    codes_read = 0
    for source, frame in frames(images, video):
        for token in scanner.new_tokens(frame):
            codes_read += 1
            decision = scanner.verify(token, source)
            if confirm is not None and decision.valid:
                decision = scanner.confirm(decision, confirm)
            if decision.reason in UNDECIDED:
                unanswered = True
            elif not decision.valid:
                refused = True
            _emit(decision, out)
    deadline = time.monotonic() + drain_seconds
    while scanner.outbox.pending_count() and time.monotonic() < deadline:
        time.sleep(RETRY_INTERVAL_SECONDS)
        for outcome in scanner.retry_pending():
            if outcome.state != "pending":
                _emit_acknowledgement(outcome, out)
                refused = refused or (outcome.state == "refused" and _this_run(outcome, scanner))
    left = scanner.outbox.pending_count()
    if left:
        print(f"{left} confirmation(s) still queued; they are sent on the next start", file=sys.stderr)
    return headless_status(refused, unanswered, left, codes_read)


def _this_run(outcome: Outcome, scanner: Scanner) -> bool:
    """Whether a confirmation settled while draining was made in this run (its code was seen now)."""
    return outcome.token in scanner.seen_tokens()

"""The counter window: live camera picture, a large green/red result panel, confirm buttons and the queued count."""
import queue
import threading
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

import cv2
from PIL import Image, ImageTk

from scanner_client.core import Decision, Scanner
from scanner_client.headless import frames
from scanner_client.messages import KINDS, reason_text

FRAME_INTERVAL_MS = 33
DISMISS_MS = 10_000
RETRY_INTERVAL_MS = 5_000
PREVIEW_SIZE = (640, 360)
CAMERAS_TO_OFFER = 5
COLORS = {"idle": "#34495e", "valid": "#1e8449", "invalid": "#b03a2e", "pending": "#b9770e"}
BIG = ("Noto Sans CJK SC", 28, "bold")
MEDIUM = ("Noto Sans CJK SC", 18)
SMALL = ("Noto Sans CJK SC", 13)


class Worker:
    """One background thread runs every decode, HTTP call and outbox write in order, so the window never blocks."""

    def __init__(self) -> None:
        self.tasks: queue.Queue[Callable[[], None]] = queue.Queue()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.tasks.get()()

    def submit(self, task: Callable[[], None]) -> None:
        self.tasks.put(task)

    def idle(self) -> bool:
        return self.tasks.empty()


class Window:
    """The staff member's screen; decisions come back from the worker through a queue polled on the Tk loop."""

    def __init__(self, root: tk.Tk, scanner: Scanner, camera: int, images: list[str], video: str | None,
                 confirm: int | None) -> None:
        self.root, self.scanner, self.auto_confirm = root, scanner, confirm
        self.worker, self.results = Worker(), queue.Queue()
        self.files = list(frames(images, video)) if images or video else []
        self.file_index, self.capture, self.dismiss_job = 0, None, None
        venue = scanner.api.venue.get("name", "")
        root.title(f"信易+ 守信激励扫码核验 — {venue}")
        self._build(venue)
        if not self.files:
            self._open_camera(camera)
        self.root.after(FRAME_INTERVAL_MS, self._tick)
        self.root.after(100, self._poll_results)
        self.root.after(RETRY_INTERVAL_MS, self._retry)
        self._show_idle()

    def _build(self, venue: str) -> None:
        bar = ttk.Frame(self.root, padding=6)
        bar.pack(fill="x")
        ttk.Label(bar, text=venue, font=MEDIUM).pack(side="left")
        self.pending_label = ttk.Label(bar, text="", font=SMALL)
        self.pending_label.pack(side="right", padx=12)
        self.camera_choice = ttk.Combobox(bar, state="readonly", width=10,
                                          values=[f"摄像头 {index}" for index in range(CAMERAS_TO_OFFER)])
        self.camera_choice.bind("<<ComboboxSelected>>",
                                lambda _event: self._open_camera(self.camera_choice.current()))
        self.camera_choice.pack(side="right")
        body = ttk.Frame(self.root)
        body.pack(fill="both", expand=True)
        self.preview = ttk.Label(body)
        self.preview.pack(side="left", padx=6, pady=6)
        self.panel = tk.Frame(body, width=460, height=PREVIEW_SIZE[1])
        self.panel.pack(side="right", fill="both", expand=True, padx=6, pady=6)
        self.panel.pack_propagate(False)
        self.headline = tk.Label(self.panel, font=BIG, fg="white", wraplength=420, justify="left")
        self.headline.pack(anchor="w", padx=16, pady=(20, 8))
        self.detail = tk.Label(self.panel, font=MEDIUM, fg="white", wraplength=420, justify="left")
        self.detail.pack(anchor="w", padx=16)
        self.actions = tk.Frame(self.panel)
        self.actions.pack(anchor="w", fill="x", padx=16, pady=16)

    # ---- frames -------------------------------------------------------------------------------------------

    def _open_camera(self, index: int) -> None:
        if self.capture is not None:
            self.capture.release()
        self.capture = cv2.VideoCapture(index)
        self.camera_choice.current(index)
        if not self.capture.isOpened():
            self._show("invalid", f"无法打开摄像头 {index}", "请在右上角选择其他摄像头")

    def _next_frame(self):
        if self.files:
            source, frame = self.files[self.file_index % len(self.files)]
            self.file_index += 1
            return source, frame
        ok, frame = self.capture.read() if self.capture is not None else (False, None)
        return ("camera", frame) if ok else (None, None)

    def _tick(self) -> None:
        source, frame = self._next_frame()
        if frame is not None:
            preview = cv2.cvtColor(cv2.resize(frame, PREVIEW_SIZE), cv2.COLOR_BGR2RGB)
            self.photo = ImageTk.PhotoImage(Image.fromarray(preview))
            self.preview.configure(image=self.photo)
            if self.worker.idle():  # drop frames while the worker is busy rather than queue stale ones
                self.worker.submit(lambda: self._scan(source, frame))
        self.root.after(FRAME_INTERVAL_MS, self._tick)

    def _scan(self, source: str, frame) -> None:
        for token in self.scanner.new_tokens(frame):
            decision = self.scanner.verify(token, source)
            if self.auto_confirm is not None and decision.valid:
                decision = self.scanner.confirm(decision, self.auto_confirm)
            self.results.put(decision)

    # ---- decisions ----------------------------------------------------------------------------------------

    def _poll_results(self) -> None:
        while not self.results.empty():
            self._show_decision(self.results.get())
        self.pending_label.configure(text=f"待上传确认：{self.scanner.outbox.pending_count()}")
        self.root.after(100, self._poll_results)

    def _show_decision(self, decision: Decision) -> None:
        subject = decision.subject or {}
        who = f"{subject.get('name_masked', '')}（{KINDS.get(subject.get('kind'), '')}" \
              f"{'，信用等级 ' + subject['grade'] if subject.get('grade') else ''}）" if subject else ""
        if decision.redemption:
            self._show("valid", "已确认，激励已记录", f"{who}\n{decision.redemption['benefit'].get('summary', '')}")
        elif decision.pending:
            self._show("pending", "已确认（网络恢复后自动上传）", who)
        elif decision.valid:
            self._show("valid", f"可享受守信激励：{who}", "请选择要实施的激励措施：", decision)
        else:
            self._show("invalid", reason_text(decision.reason), who)
            self.root.after(150, self.root.bell)
        self.root.bell()

    def _show(self, state: str, headline: str, detail: str = "", decision: Decision | None = None) -> None:
        color = COLORS[state]
        for widget in (self.panel, self.headline, self.detail, self.actions):
            widget.configure(bg=color)
        self.headline.configure(text=headline)
        self.detail.configure(text=detail)
        for child in self.actions.winfo_children():
            child.destroy()
        for measure in decision.measures if decision else []:
            text = f"确认：{measure['title']}\n{measure['benefit'].get('summary', '')}"
            tk.Button(self.actions, text=text, font=SMALL, justify="left", wraplength=400,
                      command=lambda m=measure["id"]: self._confirm(decision, m)).pack(fill="x", pady=4)
        if self.dismiss_job:
            self.root.after_cancel(self.dismiss_job)
        self.dismiss_job = self.root.after(DISMISS_MS, self._show_idle) if state != "idle" else None

    def _show_idle(self) -> None:
        self._show("idle", "请出示身份二维码", "将手机上的守信激励身份二维码对准摄像头")

    def _confirm(self, decision: Decision, measure_id: int) -> None:
        self._show("pending", "正在确认…")
        self.worker.submit(lambda: self.results.put(self.scanner.confirm(decision, measure_id)))

    def _retry(self) -> None:
        if self.scanner.outbox.pending_count():
            self.worker.submit(self.scanner.retry_pending)
        self.root.after(RETRY_INTERVAL_MS, self._retry)


def run(scanner: Scanner, camera: int, images: list[str], video: str | None, confirm: int | None) -> int:
    root = tk.Tk()
    Window(root, scanner, camera, images, video, confirm)
    root.mainloop()
    return 0

"""The counter window: the camera picture, one large card saying what to do, the confirm buttons, the queued count.

Cards, each a colour of its own:
- idle (slate): show your code;
- camera (red): no camera, a camera that cannot be opened, or one that stopped — and what to do about it;
- offer (green): the citizen may be given each benefit shown, in the largest text, with a confirm button;
- confirming / queued (amber): the confirmation is on its way, or saved locally until the network is back;
- done (blue, with a check mark): "已核销", the measure and the benefit;
- refused (red): why, what to tell the citizen, and how they can object.
A decision made offline (the server out of reach) says "离线核验" and how old the offline data is on its card.
"""
import queue
import threading
import tkinter as tk
import traceback
from collections.abc import Callable
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

import cv2
from PIL import Image, ImageTk

from scanner_client import messages as text
from scanner_client.cameras import Camera, CameraFeed, list_cameras
from scanner_client.core import Decision, Scanner
from scanner_client.headless import frames
from scanner_client.history import COLUMNS, row

FRAME_INTERVAL_MS = 33
DISMISS_MS = 10_000
# An offer stays until staff act on it or the code could no longer be confirmed (codes live 60 s by default).
OFFER_MS = 60_000
RETRY_INTERVAL_MS = 5_000
POLL_MS = 100
PREVIEW_SIZE = (640, 360)
CARD_WIDTH = 480
CARD_PAD = 18
COLORS = {"idle": "#34495e", "camera": "#b03a2e", "valid": "#1e8449", "pending": "#9a6700", "done": "#1f4e79",
          "invalid": "#b03a2e"}
# Inner boxes of the offer card (one per measure) and the done card, a shade apart from the card.
INNER = {"valid": "#196f3d", "done": "#1a4268"}
FONT_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "SimHei")
SIZES = {"benefit": 30, "done": 30, "headline": 26, "name": 24, "body": 17, "small": 13}
NAME_MIN_SIZE = 12


class Worker:
    """One background thread runs every decode, HTTP call and outbox write in order, so the window never blocks."""

    def __init__(self) -> None:
        self.tasks: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._busy = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (task := self.tasks.get()) is not None:
            self._busy = True
            try:
                task()
            except Exception:  # noqa: BLE001 - one bad frame or answer must not end scanning for the day
                traceback.print_exc()
            finally:
                self._busy = False

    def submit(self, task: Callable[[], None]) -> None:
        self.tasks.put(task)

    def idle(self) -> bool:
        return self.tasks.empty() and not self._busy

    def stop(self, wait_seconds: float = 5.0) -> None:
        """Finish the task under way, drop the rest, and end the thread: native decoding still running while the
        interpreter exits aborts the process."""
        try:
            while True:
                self.tasks.get_nowait()
        except queue.Empty:
            self.tasks.put(None)
        self._thread.join(wait_seconds)


def fit(width: int, height: int, box: tuple[int, int] = PREVIEW_SIZE) -> tuple[int, int]:
    """The largest size with the image's aspect ratio that fits the box."""
    scale = min(box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class Window:
    """The staff member's screen; results come back from the worker through a queue polled on the Tk loop."""

    def __init__(self, root: tk.Tk, scanner: Scanner, camera: int, images: list[str], video: str | None,
                 confirm: int | None, cameras: Callable[[], list[Camera]] = list_cameras,
                 open_capture: Callable[[int], Any] = cv2.VideoCapture) -> None:
        self.root, self.scanner, self.auto_confirm = root, scanner, confirm
        self.list_cameras, self.open_capture = cameras, open_capture
        self.worker, self.results = Worker(), queue.Queue()
        self.files = list(frames(images, video)) if images or video else []
        self.file_index, self.feed, self.frame_number = 0, None, 0
        self.camera_index, self.cameras = camera, []
        self.state, self.dismiss_job, self.photo, self.frame_shape = "", None, None, None
        self.idle_shown: tuple = ()
        self.labels: list[tuple[str, tk.Label]] = []
        self.buttons: list[tk.Button] = []
        self.history_window: HistoryWindow | None = None
        self.family = next((family for family in FONT_FAMILIES if family in tkfont.families(root)), "TkDefaultFont")
        venue = scanner.api.venue.get("name", "")
        root.title(f"信易+ 守信激励扫码核验 — {venue}")
        root.bind("<Destroy>", self._closing, add="+")
        self._build(venue)
        if not self.files:
            self._refresh_cameras()
            self._open_camera(camera)
        self._show_idle()
        self.root.after(FRAME_INTERVAL_MS, self._tick)
        self.root.after(POLL_MS, self._poll_results)
        self.root.after(RETRY_INTERVAL_MS, self._retry)

    def font(self, role: str, size: int | None = None) -> tuple:
        weight = "bold" if role in ("benefit", "done", "headline", "name") else "normal"
        return (self.family, size or SIZES[role], weight)

    def _build(self, venue: str) -> None:
        bar = ttk.Frame(self.root, padding=6)
        bar.pack(fill="x")
        ttk.Label(bar, text=venue, font=self.font("body")).pack(side="left")
        ttk.Label(bar, text=f"设备：{self.scanner.device}", font=self.font("small")).pack(side="left", padx=12)
        self.pending_label = ttk.Label(bar, text="", font=self.font("small"))
        self.pending_label.pack(side="right", padx=8)
        ttk.Button(bar, text=text.HISTORY, command=self.open_history).pack(side="right", padx=4)
        self.camera_choice = ttk.Combobox(bar, state="readonly", width=26)
        self.camera_choice.bind("<<ComboboxSelected>>", self._camera_chosen)
        self.camera_lamp = tk.Label(bar, text="", font=self.font("small"))
        if not self.files:
            self.camera_choice.pack(side="right", padx=4)
            self.camera_lamp.pack(side="right", padx=4)
        body = ttk.Frame(self.root)
        body.pack(fill="both", expand=True)
        box = tk.Frame(body, bg="black", width=PREVIEW_SIZE[0], height=PREVIEW_SIZE[1])
        box.pack(side="left", padx=6, pady=6, anchor="n")
        box.pack_propagate(False)
        self.preview = tk.Label(box, bg="black", bd=0)
        self.preview.pack(expand=True)
        self.panel = tk.Frame(body, width=CARD_WIDTH, height=PREVIEW_SIZE[1] + 180)
        self.panel.pack(side="right", fill="both", expand=True, padx=6, pady=6)
        self.panel.pack_propagate(False)

    # ---- cameras ------------------------------------------------------------------------------------------

    def _refresh_cameras(self) -> None:
        self.cameras = self.list_cameras()
        if self.cameras:
            self.camera_choice.configure(values=[camera.label for camera in self.cameras], state="readonly")
        else:
            self.camera_choice.configure(values=[text.CAMERA_NONE], state="disabled")
            self.camera_choice.set(text.CAMERA_NONE)

    def _camera_chosen(self, _event=None) -> None:
        chosen = self.camera_choice.current()
        if 0 <= chosen < len(self.cameras):
            self._open_camera(self.cameras[chosen].index)

    def _closing(self, event: tk.Event) -> None:
        """The window is going away: stop the camera and the worker before the interpreter does."""
        if event.widget is not self.root:
            return
        if self.feed is not None:
            self.feed.close()
        self.worker.stop()

    def _open_camera(self, index: int) -> None:
        """Open a camera on its own thread; even one the system did not list is tried (listing can be incomplete)."""
        if self.feed is not None:
            self.feed.close(wait_seconds=0)  # the old reader releases its camera on its own thread
        self.camera_index, self.frame_number = index, 0
        known = next((position for position, camera in enumerate(self.cameras) if camera.index == index), None)
        if known is not None:
            self.camera_choice.current(known)
        self.feed = CameraFeed(index, self.open_capture)
        self._refresh_idle()

    def _retry_camera(self) -> None:
        self._refresh_cameras()
        index = self.camera_index
        if self.cameras and all(camera.index != index for camera in self.cameras):
            index = self.cameras[0].index
        self._open_camera(index)

    def _camera_name(self) -> str:
        camera = next((camera for camera in self.cameras if camera.index == self.camera_index), None)
        return f"{self.camera_index}（{camera.name}）" if camera else str(self.camera_index)

    def camera_status(self) -> str:
        """"files" (reading image or video files), or the camera's: "opening", "live", "failed", "stopped"."""
        if self.files:
            return "files"
        return self.feed.status() if self.feed is not None else "failed"

    def camera_problem(self) -> tuple[str, str] | None:
        """(headline, what to do) when the camera cannot give frames, else None."""
        status = self.camera_status()
        if status == "failed":
            if not self.cameras:
                return text.CAMERA_NONE, text.CAMERA_NONE_DETAIL
            return text.CAMERA_FAILED.format(camera=self._camera_name()), text.CAMERA_FAILED_DETAIL
        if status == "stopped":
            return text.CAMERA_STOPPED, text.CAMERA_STOPPED_DETAIL
        return None

    def _refresh_idle(self) -> None:
        """The camera lamp follows the camera; so does the card while no decision is on it."""
        status = self.camera_status()
        lamps = {"live": ("● 摄像头正常", "#1e8449"), "opening": ("● 正在打开摄像头…", "#7f8c8d"),
                 "files": ("", "black")}
        lamp, colour = lamps.get(status, ("● 摄像头故障", COLORS["camera"]))
        if self.camera_lamp.cget("text") != lamp:
            self.camera_lamp.configure(text=lamp, fg=colour)
        if self.state not in ("idle", "camera", ""):
            return
        problem = self.camera_problem()
        wanted = ("camera", problem) if problem else ("idle", status == "opening")
        if wanted != self.idle_shown:
            self._show_idle()

    # ---- frames -------------------------------------------------------------------------------------------

    def _next_frame(self):
        if self.files:
            source, frame = self.files[self.file_index % len(self.files)]
            self.file_index += 1
            return source, frame
        if self.feed is None:
            return None, None
        number, frame = self.feed.latest()
        if frame is None or number == self.frame_number:
            return None, None
        self.frame_number = number
        return f"camera {self.camera_index}", frame

    def _tick(self) -> None:
        source, frame = self._next_frame()
        if frame is not None:
            self._show_frame(frame)
            if self.worker.idle():  # drop frames while the worker is busy rather than queue stale ones
                self.worker.submit(lambda: self._scan(source, frame))
        self._refresh_idle()
        self.root.after(FRAME_INTERVAL_MS, self._tick)

    def _clear_preview(self) -> None:
        """No picture rather than a frozen one: the last frame of a stopped camera would look live."""
        self.photo = None
        self.preview.configure(image="", text="无画面", fg="#7f8c8d", font=self.font("body"))

    def _show_frame(self, frame) -> None:
        """The frame fitted inside the preview box with its own aspect ratio (black bars fill the rest)."""
        height, width = frame.shape[:2]
        size = fit(width, height)
        rgb = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB if frame.ndim == 2 else cv2.COLOR_BGR2RGB)
        interpolation = cv2.INTER_AREA if size[0] < width else cv2.INTER_LINEAR
        self.photo = ImageTk.PhotoImage(Image.fromarray(cv2.resize(rgb, size, interpolation=interpolation)))
        self.frame_shape = (height, width)
        self.preview.configure(image=self.photo, text="")

    def _scan(self, source: str, frame) -> None:
        for token in self.scanner.new_tokens(frame):
            decision = self.scanner.verify(token, source)
            if self.auto_confirm is not None and decision.valid:
                measure = _measure(decision, self.auto_confirm)
                decision = self.scanner.confirm(decision, self.auto_confirm)
                self.results.put(("confirmed", decision, measure))
            else:
                self.results.put(("decision", decision, None))

    # ---- results ------------------------------------------------------------------------------------------

    def _poll_results(self) -> None:
        while not self.results.empty():
            kind, payload, extra = self.results.get()
            if kind == "decision":
                self._show_decision(payload)
            elif kind == "confirmed":
                self._show_confirmed(payload, extra)
            elif kind == "history" and self.history_window is not None:
                self.history_window.show(payload, extra)
        offline = self.scanner.outbox.offline_pending_count(self.scanner.api.username)
        self.pending_label.configure(text=f"待上传确认：{self.scanner.outbox.pending_count()}"
                                          + (f" · 离线记录：{offline}" if offline else ""))
        self.root.after(POLL_MS, self._poll_results)

    def _show_decision(self, decision: Decision) -> None:
        if decision.valid:
            self._show_offer(decision)
        else:
            self._show_refused(decision)
            self.root.after(150, self.root.bell)
        self.root.bell()

    def _show_confirmed(self, decision: Decision, measure: dict[str, Any]) -> None:
        if decision.redemption:
            self._show_done(decision, measure)
        elif decision.pending:
            self._show_queued(decision, measure)
        else:
            self._show_refused(decision)
        self.root.bell()

    # ---- cards --------------------------------------------------------------------------------------------

    def _card(self, state: str, dismiss_ms: int | None) -> None:
        """Empty the panel and colour it for a state; dismiss_ms later it returns to idle (None: it stays)."""
        self.state = state
        self.panel.configure(bg=COLORS[state])
        for child in self.panel.winfo_children():
            child.destroy()
        self.labels, self.buttons, self.idle_shown = [], [], ()
        if self.dismiss_job:
            self.root.after_cancel(self.dismiss_job)
        self.dismiss_job = self.root.after(dismiss_ms, self._show_idle) if dismiss_ms else None

    def _label(self, value: str, role: str, parent: tk.Widget | None = None, wrap: bool = False,
               pady: tuple[int, int] = (0, 6), fg: str = "white", inset: bool = False) -> tk.Label:
        """A line of the card; `inset` ones sit in a box inside the card (one measure's benefit and title)."""
        parent = parent or self.panel
        width = CARD_WIDTH - 2 * CARD_PAD - (2 * CARD_PAD if inset else 0)
        label = tk.Label(parent, text=value, font=self.font(role), fg=fg, bg=parent.cget("bg"), justify="left",
                         anchor="w", wraplength=width if wrap else 0)
        label.pack(anchor="w", fill="x", padx=12 if inset else CARD_PAD, pady=pady)
        self.labels.append((role, label))
        return label

    def _fitting_size(self, value: str, role: str, smallest: int) -> int:
        """The largest size, from the role's own down to `smallest`, at which the text fits the card on one line."""
        width = CARD_WIDTH - 2 * CARD_PAD - 4
        size = SIZES[role]
        while size > smallest and tkfont.Font(root=self.root, font=self.font(role, size)).measure(value) > width:
            size -= 1
        return size

    def _name_label(self, value: str) -> tk.Label:
        """The masked name on one line: a long enterprise name gets a smaller font, never a line break inside it."""
        size = self._fitting_size(value, "name", NAME_MIN_SIZE)
        label = tk.Label(self.panel, text=value, font=self.font("name", size), fg="white", bg=self.panel.cget("bg"),
                         anchor="w", justify="left", wraplength=0)
        label.pack(anchor="w", fill="x", padx=CARD_PAD, pady=(0, 2))
        self.labels.append(("name", label))
        return label

    def _headline(self, value: str, role: str = "headline", pady: tuple[int, int] = (24, 8)) -> tk.Label:
        """The card's first line: one line if a somewhat smaller font allows, else wrapped."""
        label = self._label(value, role, wrap=True, pady=pady)
        label.configure(font=self.font(role, self._fitting_size(value, role, SIZES["headline"] - 6)))
        return label

    def _button(self, value: str, command: Callable[[], None], parent: tk.Widget | None = None,
                pady: tuple[int, int] = (6, 6), primary: bool = True) -> tk.Button:
        parent = parent or self.panel
        button = tk.Button(parent, text=value, command=command, font=self.font("body"),
                           bg="white" if primary else parent.cget("bg"), fg="#145a32" if primary else "white",
                           activebackground="#d5f5e3", relief="raised" if primary else "flat", padx=16, pady=4)
        button.pack(anchor="w", padx=CARD_PAD if parent is self.panel else 12, pady=pady)
        self.buttons.append(button)
        return button

    def _subject_lines(self, decision: Decision) -> None:
        subject = decision.subject or {}
        if not subject:
            return
        self._name_label(subject.get("name_masked", ""))
        kind = text.KINDS.get(subject.get("kind"), "")
        grade = f" · 信用等级 {subject['grade']}" if subject.get("grade") else ""
        self._label(f"{kind}{grade}", "small", pady=(0, 10))

    def _show_idle(self) -> None:
        """The resting card: the camera's problem if it has one (never the prompt then), else the prompt."""
        problem = self.camera_problem()
        if problem:
            self._card("camera", None)
            self._headline(problem[0], pady=(30, 10))
            self._clear_preview()
            self._label(problem[1], "body", wrap=True)
            self._button(text.CAMERA_RETRY if self.cameras else text.CAMERA_RESCAN, self._retry_camera, pady=(18, 0))
            self.idle_shown = ("camera", problem)
            return
        opening = self.camera_status() == "opening"
        self._card("idle", None)
        self._headline("正在打开摄像头…" if opening else text.IDLE_TITLE, pady=(40, 10))
        self._label(text.IDLE_DETAIL, "body", wrap=True)
        self.idle_shown = ("idle", opening)

    def _show_offer(self, decision: Decision) -> None:
        self._card("valid", OFFER_MS)
        top = tk.Frame(self.panel, bg=self.panel.cget("bg"))
        top.pack(fill="x", pady=(12, 0))
        decline = tk.Button(top, text=text.DECLINE, command=self._show_idle, font=self.font("small"),
                            bg=self.panel.cget("bg"), fg="white", activebackground=INNER["valid"], relief="groove")
        decline.pack(side="right", padx=CARD_PAD)
        self._label(text.OFFER_TITLE, "body", parent=top, pady=(4, 4))
        self._offline_line(decision)
        self._subject_lines(decision)
        compact = len(decision.measures) > 2
        for measure in decision.measures:
            box = tk.Frame(self.panel, bg=INNER["valid"])
            box.pack(fill="x", padx=CARD_PAD, pady=(0, 6 if compact else 10))
            self._label(_benefit(measure), "benefit", parent=box, wrap=True, pady=(6 if compact else 10, 0), inset=True)
            self._label(measure.get("title", ""), "small", parent=box, wrap=True, pady=(0, 2 if compact else 4),
                        inset=True)
            self._button(text.CONFIRM, lambda m=measure: self._confirm(decision, m), parent=box,
                         pady=(0, 6 if compact else 12))
        self.buttons.append(decline)

    def _confirm(self, decision: Decision, measure: dict[str, Any]) -> None:
        self._card("pending", None)
        self._headline(text.CONFIRMING, pady=(40, 10))
        self._label(f"{measure.get('title', '')}\n{_benefit(measure)}", "body", wrap=True)
        self.worker.submit(lambda: self.results.put(("confirmed", self.scanner.confirm(decision, measure["id"]),
                                                     measure)))

    def _offline_line(self, decision: Decision) -> None:
        if decision.offline:
            age = text.age_text(decision.extra.get("bundle_age_seconds", 0))
            self._label(f"{text.OFFLINE} · {age}", "small", fg="#fdebd0", pady=(0, 8))

    def _show_done(self, decision: Decision, measure: dict[str, Any]) -> None:
        self._card("done", DISMISS_MS)
        self._headline(text.OFFLINE_DONE_TITLE if decision.offline else text.DONE_TITLE, "done")
        self._offline_line(decision)
        self._subject_lines(decision)
        box = tk.Frame(self.panel, bg=INNER["done"])
        box.pack(fill="x", padx=CARD_PAD, pady=(0, 10))
        benefit = (decision.redemption or {}).get("benefit") or measure.get("benefit") or {}
        self._label(measure.get("title", "") or f"措施 #{(decision.redemption or {}).get('measure_id')}", "body",
                    parent=box, wrap=True, pady=(10, 2), inset=True)
        self._label(benefit.get("summary", ""), "headline", parent=box, wrap=True, pady=(0, 10), inset=True)
        done = text.OFFLINE_DONE_DETAIL if decision.offline else f"核销编号 {(decision.redemption or {}).get('id', '')}"
        self._label(done, "small")

    def _show_queued(self, decision: Decision, measure: dict[str, Any]) -> None:
        self._card("pending", DISMISS_MS)
        self._headline(text.QUEUED_TITLE)
        self._subject_lines(decision)
        self._label(f"{measure.get('title', '')}：{_benefit(measure)}", "body", wrap=True)
        self._label(text.QUEUED_DETAIL, "small", wrap=True, pady=(10, 0))

    def _show_refused(self, decision: Decision) -> None:
        entry = text.reason(decision.reason)
        self._card("invalid", DISMISS_MS)
        self._headline(entry["title"], pady=(20, 8))
        self._offline_line(decision)
        self._subject_lines(decision)
        self._label(text.TELL_PREFIX, "small", pady=(6, 0))
        self._label(entry["tell"], "body", wrap=True, pady=(0, 10))
        if entry["hint"]:
            self._label(entry["hint"], "small", wrap=True, fg="#fdebd0")

    def headline_text(self) -> str:
        """The first line of the card (what a glance at the screen reads first)."""
        return self.labels[0][1].cget("text") if getattr(self, "labels", None) else ""

    # ---- outbox and history -------------------------------------------------------------------------------

    def _retry(self) -> None:
        """Send what is queued (confirmations, offline decisions) and fetch the bundle when due, off the Tk loop."""
        outbox = self.scanner.outbox
        if outbox.pending_count() or outbox.offline_pending_count(self.scanner.api.username):
            self.worker.submit(self.scanner.retry_pending)
        self.worker.submit(self.scanner.refresh_bundle)
        self.root.after(RETRY_INTERVAL_MS, self._retry)

    def open_history(self) -> None:
        if self.history_window is None or not self.history_window.alive():
            self.history_window = HistoryWindow(self)
        self.history_window.load(1)


class HistoryWindow:
    """最近记录: the venue's recent attempts, newest first, a page at a time."""

    def __init__(self, owner: Window) -> None:
        self.owner = owner
        self.top = tk.Toplevel(owner.root)
        self.top.title(f"{text.HISTORY} — {owner.scanner.api.venue.get('name', '')}")
        bar = ttk.Frame(self.top, padding=6)
        bar.pack(fill="x")
        ttk.Button(bar, text="刷新", command=lambda: self.load(1)).pack(side="left")
        self.more = ttk.Button(bar, text="更早的记录", command=lambda: self.load(self.next_page), state="disabled")
        self.more.pack(side="left", padx=6)
        self.status = ttk.Label(bar, text="", font=owner.font("small"))
        self.status.pack(side="left", padx=12)
        ttk.Label(bar, text="时间为北京时间", font=owner.font("small")).pack(side="right")
        self.table = ttk.Treeview(self.top, columns=[key for key, _, _ in COLUMNS], show="headings", height=16)
        for key, heading, width in COLUMNS:
            self.table.heading(key, text=heading)
            self.table.column(key, width=width, anchor="w")
        self.table.tag_configure("refused", foreground=COLORS["invalid"])
        self.table.pack(fill="both", expand=True, padx=6, pady=6)
        self.next_page: int | None = None
        self.rows: list[dict[str, str]] = []

    def alive(self) -> bool:
        return bool(self.top.winfo_exists())

    def load(self, page: int | None) -> None:
        if page is None:
            return
        self.status.configure(text="正在读取…")

        def fetch() -> None:
            try:
                answer = self.owner.scanner.api.history(page)
            except Exception as failure:  # noqa: BLE001 - shown to staff, the window carries on
                self.owner.results.put(("history", None, failure))
                return
            self.owner.results.put(("history", (page, answer), None))
        self.owner.worker.submit(fetch)

    def show(self, loaded: tuple[int, dict] | None, failure: Exception | None) -> None:
        if not self.alive():
            return
        if loaded is None:
            self.status.configure(text=f"无法读取记录：{failure}")
            return
        page, answer = loaded
        if page == 1:
            self.table.delete(*self.table.get_children())
            self.rows = []
        for item in answer.get("items", []):
            shown = row(item)
            self.rows.append(shown)
            self.table.insert("", "end", values=[shown[key] for key, _, _ in COLUMNS],
                              tags=() if item.get("valid") else ("refused",))
        self.next_page = answer.get("next")
        self.more.configure(state="normal" if self.next_page else "disabled")
        self.status.configure(text=f"共 {len(self.rows)} 条")


def _benefit(measure: dict[str, Any]) -> str:
    benefit = measure.get("benefit") or {}
    return benefit.get("summary") or measure.get("title", "")


def _measure(decision: Decision, measure_id: int) -> dict[str, Any]:
    return next((m for m in decision.measures if m.get("id") == measure_id), {"id": measure_id, "title": ""})


def run(scanner: Scanner, camera: int, images: list[str], video: str | None, confirm: int | None) -> int:
    root = tk.Tk()
    root.minsize(PREVIEW_SIZE[0] + CARD_WIDTH + 40, PREVIEW_SIZE[1] + 180)
    Window(root, scanner, camera, images, video, confirm)
    root.mainloop()
    return 0

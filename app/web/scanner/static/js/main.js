// The staff web scanner: camera frames (or a keyboard-wedge scanner) in, each new code verified once, the decision
// shown big, confirmations kept in IndexedDB until the server acknowledges them.
import { Camera } from "./camera.js";
import { Card } from "./card.js";
import { makeDecoder } from "./decoder.js";
import { GlareHint } from "./glare.js";
import { signal, unlock } from "./feedback.js";
import { Offline, offlineNote } from "./offline.js";
import * as outbox from "./outbox.js";

const app = document.getElementById("app");
let csrf = document.querySelector("meta[name=csrf-token]").content;
const card = new Card(document.getElementById("card"), JSON.parse(document.getElementById("reasons").textContent));
const video = document.getElementById("video");
const cameraMessage = document.getElementById("camera-message");
const cameraChoice = document.getElementById("camera");
const torchButton = document.getElementById("torch");
const startButton = document.getElementById("start");
const network = document.getElementById("network");
const queue = document.getElementById("queue");
const glare = new GlareHint(document.getElementById("glare"));
const FRAME_EVERY_MS = 150;          // several frames a second
const SEEN_FOR_MS = 2 * 60 * 1000;   // a code lives 60 s: the same code seen again within this is not submitted again
const RETRY_EVERY_MS = 5000;
const RESULT_SHOWN_MS = 12000;
const FAULT_RETRY_MS = 3000;       // after the counter's own fault, the same code is tried again this soon
const VERIFY_WAIT_MS = 1500;        // past this, as with no network or a 5xx, the code is decided offline
const seen = new Map();
let busy = false;
let idleTimer = null;
let halted = false;                 // the sign-in ended or the page is stale: nothing is checked until staff act

function device() {
  let name = localStorage.getItem("xinyi-device");
  if (!name) {
    name = `网页扫码-${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    localStorage.setItem("xinyi-device", name);
  }
  return name;
}

class Unreachable extends Error {}

const offline = new Offline(app, csrf, device());

async function post(url, body, waitMs = 0) {
  let answer;
  const abort = new AbortController();
  const timer = waitMs ? setTimeout(() => abort.abort(), waitMs) : null;
  try {
    answer = await fetch(url, {
      method: "POST", cache: "no-store", signal: abort.signal,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Unreachable();
  } finally {
    clearTimeout(timer);
  }
  const reply = await answer.json().catch(() => null);
  if (answer.status >= 500 || reply === null) throw new Unreachable("server");
  return { status: answer.status, body: reply };
}

// A new form token from the scanner page itself (the page's lasts an hour, or another sign-in replaced it).
async function freshToken() {
  try {
    const page = await fetch(window.location.pathname, { cache: "no-store" });
    if (!page.ok || page.redirected) return false;
    const html = new DOMParser().parseFromString(await page.text(), "text/html");
    csrf = html.querySelector("meta[name=csrf-token]").content;
    return true;
  } catch (error) {
    return false;
  }
}

// An answer other than 200/201: the citizen's refusal (a reason of the server's table), or the counter's own problem.
function problemOf(answer) {
  const error = answer.body.error;
  if (card.reasons[error.code]) return { refusal: error.code };
  if (answer.status === 400 && error.fields && error.fields.token) return { refusal: "token_malformed" };
  return { fault: answer.status === 401 ? "session" : answer.status === 400 ? "stale" : "server" };
}

// Never shown as the citizen's: an ended sign-in or a stale page stops all checking until staff act on the card;
// after a server fault or no network the same code is tried again in a few seconds, not two minutes.
function counterFault(kind, token) {
  card.fault(kind, kind === "server" ? () => { seen.delete(token); verify(token); } : () => window.location.reload());
  signal("fault");
  if (kind === "session" || kind === "stale") {
    halted = true;
    return;
  }
  seen.set(token, Date.now() - SEEN_FOR_MS + FAULT_RETRY_MS);
  later();
}

function later() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => card.idle(), RESULT_SHOWN_MS);
}

async function verify(token, again = false) {
  unlock();
  const here = await offline.confirmedHere(token);
  if (here) {
    // the server may not have it yet: never offered again from this device; offline it is logged as token_used
    const verdict = navigator.onLine ? null : await offline.decide(token);
    confirmedHere(here);
    if (verdict) card.offers.prepend(offlineNote(verdict.offline.minutes));
    await showQueue();
    later();
    return;
  }
  card.checking();
  let answer;
  try {
    answer = await post(app.dataset.verify, { token, device: device() }, VERIFY_WAIT_MS);
  } catch (error) {
    if (await decideOffline(token)) return;
    counterFault(error.message === "server" ? "server" : "network", token);
    if (offline.outdated()) card.detail.textContent = "离线数据已过期，不能离线核验：请联网同步。这不是对方的问题。";
    return;
  }
  const result = answer.body;
  if (answer.status === 200) {
    card.show(result, { onConfirm: (measure) => confirm(token, measure, result) });
    signal(result.valid ? "valid" : "invalid");
    later();
    return;
  }
  const { refusal, fault } = problemOf(answer);
  if (refusal) {
    card.invalid(refusal);
    signal("invalid");
    later();
  } else if (fault === "stale" && !again && (await freshToken())) {
    verify(token, true);
  } else {
    counterFault(fault, token);
  }
}

function confirmedHere(record) {
  card.done(record.measure, record);
  card.headline.textContent = "✓ 已核销（本机已确认）";
  const note = document.createElement("p");
  note.className = "hint";
  note.textContent = record.uploaded ? "本机已确认并上传，不要重复确认。" : "本机已确认，联网后自动上传，不要重复确认。";
  card.offers.append(note);
  signal("done");
}

// The server cannot answer: the bundle decides, and the card says so; false when it cannot (no usable bundle).
async function decideOffline(token) {
  const verdict = await offline.decide(token);
  if (!verdict) return false;
  const here = verdict.reason === "token_used" && (await offline.confirmedHere(token));
  if (here) {
    confirmedHere(here);
  } else if (verdict.valid) {
    card.valid(verdict, (measure) => confirm(token, measure, verdict));
    signal("valid");
  } else {
    card.invalid(verdict.reason, verdict.subject);
    signal("invalid");
  }
  card.offers.prepend(offlineNote(verdict.offline.minutes));
  await showQueue();
  later();
  return true;
}

async function confirm(token, measure, verdict) {
  clearTimeout(idleTimer);
  if (verdict.offline) {
    await offline.confirm(token, measure, verdict);
    card.done(measure, verdict);
    card.offers.prepend(offlineNote(verdict.offline.minutes));
    signal("done");
    await showQueue();
    later();
    return;
  }
  const item = { idempotency_key: outbox.newKey(), token, measure_id: measure.id, device: device(), measure, created: Date.now() };
  await outbox.add(item);
  const outcome = await send(item);
  if (outcome === "done") {
    // Read again here, it says 已核销（本机已确认） rather than the "already used" a citizen would be told of.
    offline.remember(token, measure, verdict.subject, true).catch(() => {});
    card.done(measure, verdict);
    signal("done");
  } else if (outcome === "queued") {
    await offline.remember(token, measure, verdict.subject);
    card.queued(measure);
  } else if (card.reasons[outcome]) {
    card.invalid(outcome, verdict.subject);
    signal("invalid");
  } else {
    counterFault(outcome, token);
  }
  await showQueue();
  later();
}

// "done", "queued" (kept for a retry), the counter's own fault (kept too, sent once staff have signed in again or
// reloaded), or the refusal's code (a definite answer: removed from the outbox).
async function send(item) {
  const { idempotency_key, token, measure_id, device: name } = item;
  try {
    const answer = await post(app.dataset.redeem, { token, measure_id, idempotency_key, device: name });
    const { refusal, fault } = answer.status === 201 ? {} : problemOf(answer);
    if (fault) return fault;
    await outbox.remove(idempotency_key);
    return refusal || "done";
  } catch (error) {
    return "queued";
  }
}

async function retryQueued() {
  if (!navigator.onLine) return;
  for (const item of await outbox.all()) {
    await send(item);
  }
  await showQueue();
}

async function showQueue() {
  const waiting = (await outbox.count()) + (await offline.pending());
  queue.hidden = waiting === 0;
  queue.querySelector("b").textContent = String(waiting);
}

function showNetwork() {
  network.hidden = navigator.onLine;
  if (navigator.onLine) retryQueued();
}

function submit(text) {
  const token = text.trim();
  const now = Date.now();
  for (const [known, at] of seen) if (now - at > SEEN_FOR_MS) seen.delete(known);
  if (halted || !token || seen.has(token)) return;
  seen.set(token, now);
  verify(token);
}

async function scanLoop(decoder) {
  if (!busy && video.readyState >= 2 && video.videoWidth) {
    busy = true;
    try {
      const { texts, glimpsed } = await decoder.decode(video);
      glare.frame(texts.length > 0, glimpsed);
      for (const text of texts) submit(text);
    } catch (error) {
      // a frame that cannot be read is just the next frame's turn
    } finally {
      busy = false;
    }
  }
  setTimeout(() => scanLoop(decoder), FRAME_EVERY_MS);
}

function cameraProblem(title, advice) {
  cameraMessage.hidden = false;
  cameraMessage.textContent = `${title}。${advice}`;
  startButton.hidden = false;
}

const camera = new Camera(video, cameraProblem);

async function openCamera(deviceId) {
  cameraMessage.hidden = true;
  startButton.hidden = true;
  if (!(await camera.start(deviceId))) return;
  const cameras = await camera.cameras();
  cameraChoice.replaceChildren(...cameras.map((found, index) => {
    const option = new Option(found.label || `摄像头 ${index + 1}`, found.deviceId);
    option.selected = found.deviceId === camera.currentId();
    return option;
  }));
  cameraChoice.hidden = cameras.length < 2;
  torchButton.hidden = !camera.hasTorch();
}

cameraChoice.addEventListener("change", () => openCamera(cameraChoice.value));
startButton.addEventListener("click", () => { unlock(); openCamera(); });
torchButton.addEventListener("click", async () => {
  const on = torchButton.getAttribute("aria-pressed") !== "true";
  await camera.torch(on).catch(() => {});
  torchButton.setAttribute("aria-pressed", String(on));
});
document.getElementById("manual").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("manual-code");
  seen.delete(input.value.trim()); // typed on purpose: always checked
  submit(input.value);
  input.value = "";
});

// A keyboard-wedge scanner types the code fast and ends with Enter; typing into a field is left alone.
let typed = "";
let lastKey = 0;
document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea")) return;
  const now = Date.now();
  if (now - lastKey > 100) typed = "";
  lastKey = now;
  if (event.key === "Enter") {
    if (typed.length >= 8) submit(typed);
    typed = "";
  } else if (event.key.length === 1) {
    typed += event.key;
  }
});
document.addEventListener("pointerdown", unlock, { once: true });
window.addEventListener("online", showNetwork);
window.addEventListener("offline", showNetwork);
app.addEventListener("offline-queue", showQueue);

showNetwork();
showQueue();
setInterval(retryQueued, RETRY_EVERY_MS);
retryQueued();
offline.start();
openCamera();
makeDecoder(app).then(scanLoop).catch(() => cameraProblem("扫码组件加载失败", "请刷新页面；也可使用扫码枪或手动输入。"));

// The identity code on screen: fetched fresh, counted down and replaced before it expires without reloading the page,
// the screen kept awake where the browser allows, and "已核销" shown within seconds of staff confirming it.
const root = document.getElementById("code");
const done = document.getElementById("done");
const image = document.getElementById("qr");
const loading = document.getElementById("loading");
const countdown = document.getElementById("countdown");
const offline = document.getElementById("offline");
const csrf = document.querySelector("meta[name=csrf-token]").content;
const STATUS_EVERY_MS = 2000;

let token = null;
let fetchedAt = 0;
let ttl = 60;
let refreshIn = 45;
let paused = false;

async function fetchCode() {
  try {
    const answer = await fetch(root.dataset.fresh, { cache: "no-store", headers: { Accept: "application/json" } });
    if (answer.redirected || !(answer.headers.get("Content-Type") || "").includes("json")) {
      window.location.assign(root.dataset.login);
      return;
    }
    if (answer.status === 403) {
      window.location.reload();
      return;
    }
    const code = await answer.json();
    token = code.token;
    ttl = code.ttl;
    refreshIn = code.refresh_in;
    fetchedAt = Date.now();
    image.src = code.image;
    image.hidden = false;
    loading.hidden = true;
    offline.hidden = true;
    tick();
  } catch (error) {
    offline.hidden = false;
  }
}

function tick() {
  if (!token || paused) return;
  // Counted from when the code arrived, so a phone whose clock is wrong still counts right.
  const elapsed = (Date.now() - fetchedAt) / 1000;
  const left = Math.max(0, Math.ceil(ttl - elapsed));
  countdown.querySelector("b").textContent = String(left);
  if (elapsed >= refreshIn) fetchCode();
}

async function checkRedeemed() {
  if (!token || paused) return;
  try {
    const answer = await fetch(root.dataset.status, {
      method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ token }),
    });
    if (!answer.ok) return;
    const status = await answer.json();
    offline.hidden = true;
    if (status.redeemed) showDone(status);
  } catch (error) {
    offline.hidden = false;
  }
}

function showDone(status) {
  paused = true;
  document.getElementById("done-measure").textContent = status.measure;
  document.getElementById("done-benefit").textContent = status.benefit;
  document.getElementById("done-venue").textContent = status.venue;
  root.hidden = true;
  done.hidden = false;
  if (navigator.vibrate) navigator.vibrate(200);
  document.getElementById("again").focus();
}

let wakeLock = null;
async function keepAwake() {
  try {
    if ("wakeLock" in navigator && document.visibilityState === "visible") {
      wakeLock = await navigator.wakeLock.request("screen");
    }
  } catch (error) {
    wakeLock = null; // refused (battery saver, older browser): the code still works, the screen may dim
  }
}

document.getElementById("refresh").addEventListener("click", fetchCode);
document.getElementById("again").addEventListener("click", () => {
  done.hidden = true;
  root.hidden = false;
  paused = false;
  token = null;
  fetchCode();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    keepAwake();
    if (!paused) fetchCode();
  }
});
window.addEventListener("online", fetchCode);
window.addEventListener("offline", () => { offline.hidden = false; });

setInterval(tick, 1000);
setInterval(checkRedeemed, STATUS_EVERY_MS);
keepAwake();
fetchCode();

// The identity code on screen: the page arrives with its first code, which is counted down and replaced before it
// expires without reloading the page; the screen is kept awake where the browser allows, "已核销" shows within seconds
// of staff confirming it, and a sign-in that has ended hides the code at once and says so.
const root = document.getElementById("code");
const done = document.getElementById("done");
const expired = document.getElementById("expired");
const image = document.getElementById("qr");
const seconds = document.querySelector("#countdown b");
const news = document.getElementById("news");
const offline = document.getElementById("offline");
const csrf = document.querySelector("meta[name=csrf-token]").content;
const STATUS_EVERY_MS = 2000;

let token = root.dataset.token;
let ttl = Number(root.dataset.ttl);
let refreshIn = Number(root.dataset.refreshIn);
// The first code was issued just before the page's first byte left the server: count from then, not from now.
const navigation = performance.getEntriesByType("navigation")[0];
let issuedAt = navigation ? performance.timeOrigin + navigation.responseStart : Date.now();
let paused = false;
let signedOut = false;
let fetching = false;
let lapsed = false;

// Said to screen readers (a polite live region): a new code, a lapsed one. The countdown itself is not announced.
function say(words) {
  news.textContent = words;
}

// The fetches answer 401 once the sign-in has ended; nothing else of theirs redirects (to the login form).
function endedSignIn(answer) {
  return answer.status === 401 || answer.redirected;
}

function showSignedOut() {
  signedOut = true;
  token = null;
  image.removeAttribute("src");
  root.hidden = true;
  done.hidden = true;
  expired.hidden = false;
  releaseWakeLock();
  expired.querySelector("a").focus();
}

async function fetchCode() {
  if (signedOut || fetching) return;
  fetching = true;
  try {
    const answer = await fetch(root.dataset.fresh, { cache: "no-store", headers: { Accept: "application/json" } });
    if (endedSignIn(answer)) {
      showSignedOut();
      return;
    }
    if (answer.status === 403) {
      window.location.reload();
      return;
    }
    if (!answer.ok) throw new Error(String(answer.status));
    const code = await answer.json();
    token = code.token;
    ttl = code.ttl;
    refreshIn = code.refresh_in;
    issuedAt = Date.now();
    image.src = code.image;
    image.hidden = false;
    offline.hidden = true;
    lapsed = false;
    const now = new Date();
    say(`二维码已更新（${now.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" })}）`);
    tick();
  } catch (error) {
    offline.hidden = false;
  } finally {
    fetching = false;
  }
}

function tick() {
  if (!token || paused) return;
  // Counted from when the code was issued by this phone's clock, so a phone whose clock is wrong still counts right.
  const elapsed = (Date.now() - issuedAt) / 1000;
  const left = Math.max(0, Math.ceil(ttl - elapsed));
  seconds.textContent = String(left);
  if (left === 0 && !lapsed) {
    lapsed = true;
    image.hidden = true; // a lapsed code would only be refused at the counter
    say("二维码已过期，请检查网络后点“刷新二维码”");
  }
  if (elapsed >= refreshIn) fetchCode();
}

async function checkRedeemed() {
  if (!token || paused || signedOut) return;
  try {
    const answer = await fetch(root.dataset.status, {
      method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ token }),
    });
    if (endedSignIn(answer)) {
      showSignedOut();
      return;
    }
    // Refused its form token: a sign-in in another tab replaced the session this page was built in. The page built
    // again has a token that works, or else nothing would ever say "已核销" here.
    if (answer.status === 400) {
      window.location.reload();
      return;
    }
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
    if ("wakeLock" in navigator && document.visibilityState === "visible" && !signedOut) {
      wakeLock = await navigator.wakeLock.request("screen");
    }
  } catch (error) {
    wakeLock = null; // refused (battery saver, older browser): the code still works, the screen may dim
  }
}

function releaseWakeLock() {
  if (wakeLock) wakeLock.release().catch(() => {});
  wakeLock = null;
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
  if (document.visibilityState === "visible" && !signedOut) {
    keepAwake();
    tick(); // at once: a code that lapsed while the screen was off is not shown until the next second
    if (!paused) fetchCode();
  }
});
window.addEventListener("online", fetchCode);
window.addEventListener("offline", () => { offline.hidden = false; });

setInterval(tick, 1000);
setInterval(checkRedeemed, STATUS_EVERY_MS);
keepAwake();
tick();

// The identity code on screen, with or without a network. Online the page arrives with its first code, which is
// counted down and replaced before it expires without reloading the page; in the background the phone keeps a batch
// of signed codes for the next hours (codes_store.js), and whenever no fresh code has come the code of the current
// window from that batch shows instead, drawn here, said quietly as "离线码". A code past its window is never left on
// screen: when the batch is used up the page says so in words. The screen is kept awake where the browser allows,
// "已核销" shows within seconds of staff confirming, and a sign-in that has ended hides the code and empties the store.
const root = document.getElementById("code");
const done = document.getElementById("done");
const expired = document.getElementById("expired");
const image = document.getElementById("qr");
const countdown = document.getElementById("countdown");
const seconds = countdown.querySelector("b");
const news = document.getElementById("news");
const offlineNote = document.getElementById("offline");
const none = document.getElementById("none");
const csrf = document.querySelector("meta[name=csrf-token]").content;
const STATUS_EVERY_MS = 2000;
const RETRY_AFTER_MS = 10_000; // a fresh code that could not be fetched is asked for again after this
const VISIT_REFRESH_MS = 10 * 60_000; // a visit fetches a new batch unless this one is this recent
const LOW_MS = 12 * 3600_000; // the batch (13 hours) is renewed online once it covers less than this
const [{ qrcode }, store] = await Promise.all([import(root.dataset.encoder), import(root.dataset.store)]);

// The online code: from the page's HTML first, then from `fresh`. `until` is by this phone's clock.
let online = null;
if (root.dataset.token) {
  // Issued just before the page's first byte left the server: counted from then, not from now.
  const navigation = performance.getEntriesByType("navigation")[0];
  const issuedAt = navigation ? performance.timeOrigin + navigation.responseStart : Date.now();
  online = { token: root.dataset.token, issuedAt, until: issuedAt + Number(root.dataset.ttl) * 1000,
             refreshAt: issuedAt + Number(root.dataset.refreshIn) * 1000 };
}
let batch = null;
let shown = root.dataset.token || null; // the token on screen
const redeemed = new Set(); // tokens staff confirmed: never shown again
let paused = false;
let signedOut = false;
let fetching = false;
let nextFetch = 0;
let fetchingBatch = false;
let nextBatch = 0;

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
  online = batch = shown = null;
  store.clear();
  image.removeAttribute("src");
  root.hidden = true;
  done.hidden = true;
  expired.hidden = false;
  releaseWakeLock();
  expired.querySelector("a").focus();
}

function draw(token) {
  const symbol = qrcode(0, "M");
  symbol.addData(token, "Alphanumeric");
  symbol.make();
  return symbol.createDataURL(4, 16); // a quiet zone of four modules; the page scales it to the screen's width
}

function show(token, fromBatch, left) {
  if (token !== shown) {
    image.src = draw(token);
    if (shown) say(`二维码已更新（${new Date().toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" })}）`);
    shown = token;
  }
  image.hidden = false;
  countdown.hidden = false;
  none.hidden = true;
  offlineNote.hidden = !fromBatch;
  seconds.textContent = String(left);
}

function showNone() {
  if (shown) say("二维码已过期，请联网后点“刷新二维码”");
  shown = null;
  image.hidden = true; // a lapsed code would only be refused at the counter
  image.removeAttribute("src");
  countdown.hidden = true;
  offlineNote.hidden = true;
  document.getElementById("none-words").textContent = batch && batch.codes.length
    ? "离线码已用完，请联网后刷新" : "本机还没有离线码，请联网后刷新";
  none.hidden = false;
}

// The code of the window the server's clock is in now (by this phone's clock and the difference measured online).
function batchCode() {
  if (!batch) return null;
  const now = Date.now() + batch.offset;
  const code = batch.codes.find((each) => each.notBefore <= now && now < each.expiresAt && !redeemed.has(each.token));
  return code ? { token: code.token, left: Math.ceil((code.expiresAt - now) / 1000) } : null;
}

function tick() {
  if (paused || signedOut) return;
  const now = Date.now();
  if (online && now < online.until && !redeemed.has(online.token)) {
    show(online.token, false, Math.ceil((online.until - now) / 1000));
    if (now >= online.refreshAt) fetchCode();
  } else {
    const code = batchCode();
    if (code) show(code.token, true, code.left);
    else showNone();
    if (now >= nextFetch) fetchCode();
  }
  // Running low (at most every few minutes: a batch ends early when the entries it names do).
  if (batch && batch.codes.length && batch.codes.at(-1).expiresAt - (now + batch.offset) < LOW_MS
      && now - batch.fetchedAt > VISIT_REFRESH_MS) refreshBatch();
}

async function fetchCode() {
  if (signedOut || fetching) return;
  if (!navigator.onLine) { // no network at all: the batch's codes, and no failed request for every second
    nextFetch = Date.now() + RETRY_AFTER_MS;
    return;
  }
  fetching = true;
  try {
    const answer = await fetch(root.dataset.fresh, { cache: "no-store", headers: { Accept: "application/json" } });
    if (endedSignIn(answer)) {
      showSignedOut();
      return;
    }
    if (answer.status === 403) {
      await store.clear();
      window.location.reload();
      return;
    }
    if (!answer.ok) throw new Error(String(answer.status));
    const code = await answer.json();
    const issuedAt = Date.now();
    online = { token: code.token, issuedAt, until: issuedAt + code.ttl * 1000, refreshAt: issuedAt + code.refresh_in * 1000 };
    tick();
  } catch (error) {
    nextFetch = Date.now() + RETRY_AFTER_MS; // no network: the batch's codes meanwhile
  } finally {
    fetching = false;
  }
}

async function refreshBatch() {
  if (signedOut || fetchingBatch || !navigator.onLine || Date.now() < nextBatch) return;
  fetchingBatch = true;
  nextBatch = Date.now() + RETRY_AFTER_MS;
  try {
    const asked = Date.now();
    const answer = await fetch(root.dataset.batch, { cache: "no-store", headers: { Accept: "application/json" } });
    if (endedSignIn(answer)) {
      showSignedOut();
      return;
    }
    if (answer.status === 403) { // no longer listed: no code may be shown, online or off
      batch = null;
      await store.clear();
      return;
    }
    if (!answer.ok) return;
    const fresh = await answer.json();
    const received = Date.now();
    batch = {
      codes: fresh.codes.map((code) => ({ token: code.token, notBefore: code.not_before * 1000,
                                         expiresAt: code.expires_at * 1000 })),
      offset: fresh.server_time - (asked + received) / 2,
      fetchedAt: received,
      who: fresh.who,
    };
    await store.save(batch);
  } catch (error) {
    // no network or a full store: the batch kept before stays
  } finally {
    fetchingBatch = false;
  }
}

async function checkRedeemed() {
  if (!shown || paused || signedOut || !navigator.onLine) return;
  try {
    const answer = await fetch(root.dataset.status, {
      method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ token: shown }),
    });
    if (endedSignIn(answer)) {
      showSignedOut();
      return;
    }
    // Refused its form token: a sign-in in another tab replaced the session this page was built in (or this is the
    // offline shell, back online). The page built again has a token that works, or nothing would say "已核销" here.
    if (answer.status === 400) {
      window.location.reload();
      return;
    }
    if (!answer.ok) return;
    const status = await answer.json();
    if (status.redeemed) showDone(status);
  } catch (error) {
    // no network: the code on screen stays, from the batch once it lapses
  }
}

function showDone(status) {
  paused = true;
  redeemed.add(shown);
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

// On each visit: the batch kept on the phone at once, then a new one in the background unless it is recent.
async function visit() {
  try {
    batch = (await store.load()) || null;
  } catch (error) {
    batch = null; // a browser without storage (private mode): online codes only
  }
  if (batch && !document.getElementById("who").textContent) {
    document.getElementById("who").textContent = `${batch.who} · 守信激励对象`;
  }
  tick();
  if (!batch || Date.now() - batch.fetchedAt > VISIT_REFRESH_MS) refreshBatch();
}

document.getElementById("refresh").addEventListener("click", () => {
  nextFetch = nextBatch = 0;
  fetchCode();
  refreshBatch();
});
document.getElementById("again").addEventListener("click", () => {
  done.hidden = true;
  root.hidden = false;
  paused = false;
  nextFetch = 0;
  tick();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && !signedOut) {
    keepAwake();
    tick(); // at once: a code that lapsed while the screen was off is not shown until the next second
    if (!paused) fetchCode();
  }
});
window.addEventListener("online", () => {
  nextFetch = nextBatch = 0;
  tick();
  refreshBatch();
});

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register(root.dataset.worker).catch(() => {}); // the page works without it, online
}
store.noteMode(document.documentElement.classList.contains("elder")).catch(() => {});
setInterval(tick, 1000);
setInterval(checkRedeemed, STATUS_EVERY_MS);
keepAwake();
visit();

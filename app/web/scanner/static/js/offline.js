// The scanner without a network (docs/offline-codes.md, "The web scanner offline"): the venue's bundle kept in
// IndexedDB and refreshed every few minutes online; a code decided in the browser when the server cannot answer;
// every offline decision and confirmation queued and uploaded by itself once the server answers again.
import * as codes from "./offline-codes.js";
import * as store from "./offline-store.js";

const REFRESH_EVERY_MS = 5 * 60 * 1000;
const UPLOAD_EVERY_MS = 5000;
const UPLOAD_BATCH = 100;
const KEPT_AFTER_EXPIRY_S = 24 * 3600; // a confirmed code is remembered a day past its window, then forgotten

const seconds = (text) => Date.parse(text) / 1000;
const normal = (token) => token.trim().toUpperCase();

// A delta applied to the stored bundle, as scanner_client/bundle.py merged() does: the stored deny-list less the
// tags lifted and those past their `until`, plus the delta's; a full answer replaces the bundle.
function merged(previous, answer) {
  if (answer.full || !previous) return answer;
  const now = seconds(answer.server_time);
  const denied = new Map();
  for (const group of previous.deny) {
    if (seconds(group.until) > now) for (const tag of group.tags) denied.set(tag, [group.reason, group.until]);
  }
  for (const tag of answer.lifted) denied.delete(tag);
  for (const group of answer.deny) for (const tag of group.tags) denied.set(tag, [group.reason, group.until]);
  const groups = new Map();
  for (const [tag, [reason, until]] of denied) {
    const key = `${reason} ${until}`;
    if (!groups.has(key)) groups.set(key, { reason, until, tags: [] });
    groups.get(key).tags.push(tag);
  }
  return { ...answer, deny: [...groups.values()], lifted: [] };
}

export class Offline {
  constructor(app, csrf, device) {
    this.app = app;
    this.csrf = csrf;
    this.device = device;
    this.staff = app.dataset.staff;
    this.ready = null;
  }

  async start() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(this.app.dataset.sw, { scope: this.app.dataset.scope }).catch(() => {});
    }
    const logout = document.querySelector("form[data-logout]");
    if (logout) {
      logout.addEventListener("submit", () => {
        this.signedOut = true; // a sync under way must not store the bundle again
        store.forgetBundle();
      });
    }
    const kept = await store.getBundle().catch(() => null); // no IndexedDB (a private window): online only
    if (kept && kept.staff === this.staff) await this.load(kept);
    window.addEventListener("online", () => this.sync());
    setInterval(() => this.sync(), REFRESH_EVERY_MS);
    setInterval(() => this.upload(), UPLOAD_EVERY_MS);
    await this.sync();
  }

  async load(stored) {
    try {
      const keys = await codes.importKeys(stored.bundle);
      const denied = new Map();
      for (const group of stored.bundle.deny) for (const tag of group.tags) denied.set(tag, group.reason);
      this.ready = { ...stored, keys, denied, serverTime: seconds(stored.bundle.server_time) };
      this.app.dataset.bundleVersion = String(stored.bundle.version);
    } catch (error) {
      this.ready = null; // a browser without Ed25519 in WebCrypto decides online only
    }
  }

  // Upload first (so the bundle fetched after it reflects it), then fetch the bundle: a delta since the kept version.
  async sync() {
    if (!navigator.onLine) return;
    await this.upload();
    const previous = this.ready && this.ready.bundle;
    const url = new URL(this.app.dataset.bundle, window.location.href);
    if (previous) url.searchParams.set("since", String(previous.version));
    try {
      const sent = Date.now();
      const answer = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
      const received = Date.now();
      if (!answer.ok || answer.redirected) return;
      const bundle = merged(previous, await answer.json());
      if (this.signedOut) return;
      const offset = seconds(bundle.server_time) - (sent + received) / 2000;
      const stored = { staff: this.staff, bundle, offset };
      await store.putBundle(stored);
      await this.load(stored);
      this.app.dataset.bundleSynced = String(received);
    } catch (error) {
      // the network went away again: the kept bundle stays
    }
  }

  // Server time (seconds) by this device's clock and the offset measured at the sync, never before the bundle.
  now() {
    return Math.max(Date.now() / 1000 + this.ready.offset, this.ready.serverTime);
  }

  // A bundle is kept but older than max_age_seconds: nothing is decided with it until the counter syncs.
  outdated() {
    return Boolean(this.ready) && this.now() - this.ready.serverTime > this.ready.bundle.max_age_seconds;
  }

  ageMinutes() {
    return Math.floor((this.now() - this.ready.serverTime) / 60);
  }

  // The offline verdict ({valid, reason, subject, measures, offline: {minutes}}), queued before it is shown; null when
  // there is no usable bundle (none, too old, or not holding the code's day): then nothing can be decided here.
  async decide(token) {
    if (!this.ready || this.outdated()) return null;
    const { bundle, keys, denied } = this.ready;
    const used = async (key) => Boolean(await store.confirmed(key));
    let verdict;
    try {
      verdict = await codes.decide(token, bundle, keys, denied, this.now(), used);
    } catch (error) {
      return null;
    }
    await this.queue(token, { action: "verify", valid: verdict.valid, reason: verdict.reason });
    return { ...verdict, offline: { minutes: this.ageMinutes() } };
  }

  // One decision for the upload (oldest first), dated by the server's clock as this device knows it.
  queue(token, decision) {
    return store.addItem({
      idempotency_key: crypto.randomUUID(), queued: performance.timeOrigin + performance.now(), staff: this.staff,
      token, device: this.device, decided_at: new Date(this.now() * 1000).toISOString(), ...decision,
    });
  }

  // 确认 of an offline verdict: queued for upload, and remembered as confirmed on this device.
  async confirm(token, measure, verdict) {
    await this.queue(token, { action: "redeem", measure_id: measure.id, valid: true, reason: null });
    await this.remember(token, measure, verdict.subject);
  }

  // A code this device confirmed: offline, online with the confirmation queued, or online and accepted (uploaded).
  async remember(token, measure, subject, uploaded = false) {
    const parsed = codes.parse(token);
    await store.putConfirmed({ token_key: parsed.tokenKey, token: normal(token), expires_at: parsed.expiresAt,
                               measure, subject, staff: this.staff, uploaded });
  }

  // Only the very code confirmed: an altered copy shares its code id but not its text (and fails its signature).
  async confirmedHere(token) {
    const key = codes.tokenKey(token);
    const record = key && (await store.confirmed(key));
    return record && record.token === normal(token) ? record : null;
  }

  async pending() {
    return (await store.items()).filter((item) => item.staff === this.staff).length;
  }

  send(batch) {
    return fetch(this.app.dataset.offline, {
      method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrf },
      body: JSON.stringify({ items: batch.map(({ staff, queued, ...item }) => item) }),
    });
  }

  // A page opened from the worker's copy may carry a form token that has lapsed: take the live page's, if signed in.
  async freshToken() {
    const answer = await fetch(this.app.dataset.scope, { cache: "no-store" });
    if (!answer.ok || answer.redirected) return false;
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const meta = page.querySelector("meta[name=csrf-token]");
    if (!meta || meta.content === this.csrf) return false;
    this.csrf = meta.content;
    return true;
  }

  // Every queued item of the signed-in account, in batches; each answered one leaves the queue. Items of another
  // account wait for it to sign in here again.
  async upload() {
    if (!navigator.onLine || this.uploading) return;
    this.uploading = true;
    try {
      const mine = (await store.items()).filter((item) => item.staff === this.staff)
        .sort((one, other) => one.queued - other.queued);
      for (let at = 0; at < mine.length; at += UPLOAD_BATCH) {
        const batch = mine.slice(at, at + UPLOAD_BATCH);
        let answer = await this.send(batch);
        if (answer.status === 400 && (await this.freshToken())) answer = await this.send(batch);
        if (!answer.ok || answer.redirected) return;
        const outcomes = (await answer.json()).items;
        await store.removeItems(outcomes.map((outcome) => outcome.idempotency_key));
        for (const item of batch.filter((queued) => queued.action === "redeem")) {
          const record = await store.confirmed(codes.tokenKey(item.token));
          if (record) await store.putConfirmed({ ...record, uploaded: true });
        }
      }
      const gone = Date.now() / 1000 - KEPT_AFTER_EXPIRY_S;
      const expired = (await store.allConfirmed()).filter((record) => record.expires_at < gone);
      if (expired.length) await store.removeConfirmed(expired.map((record) => record.token_key));
    } catch (error) {
      // unreachable again: what is queued stays queued
    } finally {
      this.uploading = false;
      this.app.dispatchEvent(new CustomEvent("offline-queue"));
    }
  }
}

// The words under an offline decision: that it was decided here, and how old the data it used is.
export function offlineNote(minutes) {
  const note = document.createElement("p");
  note.className = "hint offline-note";
  note.textContent = `离线核验 · 离线数据 ${minutes} 分钟前同步`;
  return note;
}

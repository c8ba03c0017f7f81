// Codes for the 亮码 page. Online: a fresh code from /me/qrcode, replaced after `refresh_in`. Offline: a batch from
// /me/codes (one signed code per window for the next hours, docs/offline-codes.md) kept in encrypted storage, from
// which the code of the current window is shown when the network is gone. The batch is fetched again when under a
// third of it is left, never more often: each fetch starts a new batch on the server.
const api = require("./api.js");
const config = require("../config.js");
const session = require("./session.js");
const store = require("./store.js");

async function storedBatch() {
  const batch = await store.load(session.OFFLINE_KEY);
  const subject = session.subject();
  if (!batch || !Array.isArray(batch.codes)) return null;
  return subject && batch.subject_id !== subject.id ? null : batch; // another citizen's codes never show
}

// The code whose window holds `now` (phone clock, ms), or null.
function current(batch, now) {
  if (!batch) return null;
  return batch.codes.find((code) => Date.parse(code.not_before) <= now && now < Date.parse(code.expires_at)) || null;
}

function fresh(batch, now) {
  if (!batch) return false;
  const left = Date.parse(batch.valid_until) - now;
  return left > (config.offlineHours * 3600 * 1000) / 3;
}

// Fetch and keep a new batch unless the kept one is still fresh; answers the batch kept.
async function keep(now) {
  const kept = await storedBatch();
  if (fresh(kept, now)) return kept;
  const answer = await api.codes(config.offlineHours);
  const subject = session.subject();
  const batch = { subject_id: subject ? subject.id : null, codes: answer.codes, valid_until: answer.valid_until };
  await store.save(session.OFFLINE_KEY, batch);
  return batch;
}

function forget() {
  return store.drop(session.OFFLINE_KEY);
}

module.exports = { storedBatch, current, fresh, keep, forget };

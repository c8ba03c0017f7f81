// The citizen's sign-in: the bearer token in memory and in encrypted storage. When the server says it has ended,
// it is forgotten with the offline codes it fetched, and the citizen is taken to 身份核对 to sign in again.
const store = require("./store.js");

const KEY = "session";
const OFFLINE_KEY = "offline_codes";
let current = null;

async function restore() {
  const saved = await store.load(KEY);
  current = saved && typeof saved.token === "string" ? saved : null;
  return current;
}

async function start(token, subject) {
  current = { token, subject: subject || null };
  await store.save(KEY, current);
}

async function clear() {
  current = null;
  await Promise.all([store.drop(KEY), store.drop(OFFLINE_KEY)]);
}

function ended() {
  if (!current) return;
  clear();
  wx.reLaunch({ url: "/pages/login/login?why=expired" });
}

module.exports = {
  OFFLINE_KEY,
  restore,
  start,
  clear,
  ended,
  token: () => (current ? current.token : null),
  subject: () => (current ? current.subject : null),
};

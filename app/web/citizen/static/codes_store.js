// The phone's own store of signed codes for the hours ahead (IndexedDB), so 亮码 shows a code with no network. One
// record: the batch of the citizen signed in on this phone. Signing out or an ended sign-in empties it.
const NAME = "xinyi-citizen-codes";
const STORE = "batch";
const KEY = "current";
// 长辈版 on or off, noted for the service worker, which cannot read the cookie (sw.js reads the same two names).
const MODE = { cache: "citizen-mode", key: "/m/.mode" };

function opened() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function within(mode, work) {
  const database = await opened();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    database.close(); // never left open: deleting the database on signing out would wait for it
  }
}

// The batch as kept: {codes: [{token, notBefore, expiresAt}] in server milliseconds, offset (server − phone clock, ms),
// fetchedAt (phone ms), who (the masked name)}; undefined when there is none.
export function load() {
  return within("readonly", (store) => store.get(KEY));
}

export function save(batch) {
  return within("readwrite", (store) => store.put(batch, KEY));
}

// Every code off the phone; resolves once the database is gone (or could not be).
export function clear() {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

export async function noteMode(elder) {
  if (!("caches" in self)) return;
  await (await caches.open(MODE.cache)).put(MODE.key, new Response(elder ? "on" : "off"));
}

// Confirmations kept in the browser (IndexedDB) from the moment staff press 确认 until the server acknowledges them,
// across reloads; each keeps its idempotency key, so a retry can never become a second redemption.
const DB_NAME = "xinyi-scanner";
const STORE = "confirmations";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "idempotency_key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const result = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(result.result);
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2, 12)}`;
}

export const add = (item) => run("readwrite", (store) => store.put(item));
export const remove = (key) => run("readwrite", (store) => store.delete(key));
export const all = () => run("readonly", (store) => store.getAll());
export const count = () => run("readonly", (store) => store.count());

// What the scanner keeps in IndexedDB to decide without a network: the venue's bundle (one record), the decisions and
// confirmations made offline until the server has them ("items"), and the codes this device confirmed ("confirmed",
// by token key), which stay until they expire so the same code is never confirmed twice here.
const DB_NAME = "xinyi-scanner-offline";
const STORES = { bundle: null, items: "idempotency_key", confirmed: "token_key" };

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      for (const [name, keyPath] of Object.entries(STORES)) {
        request.result.createObjectStore(name, keyPath ? { keyPath } : undefined);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(name, mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      const result = work(transaction.objectStore(name));
      transaction.oncomplete = () => resolve(result && result.result);
      transaction.onerror = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

export const getBundle = () => run("bundle", "readonly", (store) => store.get("current"));
export const putBundle = (stored) => run("bundle", "readwrite", (store) => store.put(stored, "current"));
export const forgetBundle = () => run("bundle", "readwrite", (store) => store.delete("current"));
export const addItem = (item) => run("items", "readwrite", (store) => store.put(item));
export const items = () => run("items", "readonly", (store) => store.getAll());
export const removeItems = (keys) => run("items", "readwrite", (store) => keys.forEach((key) => store.delete(key)));
export const confirmed = (tokenKey) => run("confirmed", "readonly", (store) => store.get(tokenKey));
export const allConfirmed = () => run("confirmed", "readonly", (store) => store.getAll());
export const putConfirmed = (record) => run("confirmed", "readwrite", (store) => store.put(record));
export const removeConfirmed = (keys) => run("confirmed", "readwrite",
  (store) => keys.forEach((key) => store.delete(key)));

// The scanner's service worker (served at /scan/sw.js, which prepends VERSION, SHELL, LOGOUT and PRECACHE): keeps the
// page, its scripts, styles and the WebAssembly decoder, so a reload or the installed app opens with no network.
// The page itself is asked of the server first: a counter signed out while online is sent to sign in, never shown a
// kept copy; the copy is only for when the server cannot be reached. Signing out forgets it.
const CACHE = `xinyi-scan-${VERSION}`;
const OFFLINE_PAGE = "<!doctype html><meta charset=utf-8><meta name=viewport content=width=device-width>"
  + `<title>需要联网</title><p>需要联网：这一页要连上网络才能打开。</p><p><a href="${SHELL}">返回扫码</a></p>`;
const HASHED = /\.[0-9a-f]{8}\.[A-Za-z0-9]+$/;
const WAIT_MS = 3000;
const KEPT = new Set(PRECACHE.map((path) => new URL(path, self.location.origin).href));

// The page is kept only as the signed-in counter sees it: a sign-in page in its place would be no use offline.
async function keepShell(cache) {
  const answer = await fetch(SHELL, { cache: "no-store" }).catch(() => null);
  if (answer && answer.ok && !answer.redirected) await cache.put(SHELL, answer);
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => Promise.all([cache.addAll(PRECACHE.filter((path) => path !== SHELL)), keepShell(cache)]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith("xinyi-scan-") && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

// The server's answer, or an error when it has none within `ms` (a network that connects but carries nothing).
async function network(request, ms) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await fetch(request, { signal: abort.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const answer = await network(request, WAIT_MS);
    if (answer.ok && answer.type === "basic" && !answer.redirected) {
      await cache.put(SHELL, answer.clone());
      return answer;
    }
    if (answer.status < 500) return answer;
    return (await cache.match(SHELL, { ignoreVary: true })) || answer;
  } catch (error) {
    const kept = await cache.match(SHELL, { ignoreVary: true });
    return kept || needsNetwork();
  }
}

function needsNetwork() {
  return new Response(OFFLINE_PAGE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

// Another page of the scanner (history, sign-in): the server's, or words saying it needs the network.
async function elsewhere(request) {
  try {
    return await network(request, WAIT_MS);
  } catch (error) {
    return needsNetwork();
  }
}

// A hashed name never changes content: kept first. A plain name (what an import asks for) may change with a
// deployment before this worker is replaced: asked of the server first, the kept copy when it cannot answer.
async function file(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept && HASHED.test(new URL(request.url).pathname)) return kept;
  try {
    const answer = await network(request, WAIT_MS);
    if (answer.ok) await cache.put(request, answer.clone());
    return answer;
  } catch (error) {
    if (kept) return kept;
    throw error;
  }
}

// Signing out: the venue's bundle goes too (offline-store.js keeps it; the page deletes it as well, but a page may
// be gone before its deletion is done).
function forgetBundle() {
  return new Promise((resolve) => {
    const opened = indexedDB.open("xinyi-scanner-offline");
    opened.onupgradeneeded = () => opened.transaction.abort(); // none kept: never create it without its stores
    opened.onsuccess = () => {
      const db = opened.result;
      if (!db.objectStoreNames.contains("bundle")) {
        db.close();
        resolve();
        return;
      }
      const transaction = db.transaction("bundle", "readwrite");
      transaction.objectStore("bundle").delete("current");
      transaction.oncomplete = transaction.onerror = () => {
        db.close();
        resolve();
      };
    };
    opened.onerror = () => resolve();
  });
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === LOGOUT) {
    event.waitUntil(Promise.all([caches.open(CACHE).then((cache) => cache.delete(SHELL)), forgetBundle()]));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(url.pathname === SHELL ? page(request) : elsewhere(request));
  } else if (KEPT.has(url.href)) {
    event.respondWith(file(request));
  }
});

// The citizen app's service worker (scope /m/): it keeps the code page's shell and its files, so 亮码 opens from the
// home screen with no network (the codes themselves are in the page's IndexedDB, never here), and says "需要联网" for
// every other page then. Pages and fetches go to the network whenever there is one: nothing personal is cached.
const PRECACHE = {{ precache|tojson }};
const CACHE = "citizen-shell-{{ version }}";
const CODE_PAGE = {{ code_page|tojson }};
// Where the code page notes 长辈版 on or off (the cookie that says it is not readable here): codes_store.js.
const MODE = { cache: "citizen-mode", key: "/m/.mode" };
const FILES = new Set(PRECACHE.files.map((path) => new URL(path, self.location).href));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll([...PRECACHE.pages, ...PRECACHE.files]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith("citizen-shell-") && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

async function elder() {
  const noted = await (await caches.open(MODE.cache)).match(MODE.key);
  return noted ? (await noted.text()) === "on" : false;
}

// With no network: the code page's shell for /m/code, the "需要联网" page for any other page, in the phone's mode.
async function offlinePage(url) {
  const page = PRECACHE.pages[(url.pathname === CODE_PAGE ? 0 : 2) + ((await elder()) ? 1 : 0)];
  return (await caches.match(page, { ignoreVary: true })) || Response.error();
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") { // a form sent offline (the 长辈版 switch) too: "需要联网", not the browser's error
    event.respondWith(fetch(request).catch(() => offlinePage(url)));
  } else if (request.method === "GET" && FILES.has(url.href)) {
    // A hashed name never changes its content: the kept copy is the file.
    event.respondWith(caches.match(request, { ignoreVary: true }).then((kept) => kept || fetch(request)));
  }
});

// Service worker: keeps the app shell (index.html, the bundle, icons) so the app opens with the
// server down or the network cut. The library itself is in IndexedDB, so nothing else is needed
// offline. Shell requests are answered from the cache at once and refreshed in the background
// (stale-while-revalidate), so a new build shows on the next load. /api and /sync are never cached:
// answers there depend on who asks. Thumbnails (public, immutable per URL) are cached as seen.
// The client tsconfig has both DOM and WebWorker libs, where `self` is a Window: name the worker scope.
const sw = self as unknown as ServiceWorkerGlobalScope;

const SHELL_CACHE = 'flowshelf-shell-v1';
const THUMB_CACHE = 'flowshelf-thumbnails-v1';
const SHELL = ['/', '/index.html', '/main.js', '/manifest.webmanifest', '/icon.svg'];

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL_CACHE && k !== THUMB_CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

async function shellResponse(request: Request, key: string): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(key);
  const network = fetch(request)
    .then(async (res) => {
      if (res.ok) await cache.put(key, res.clone());
      return res;
    })
    .catch(() => null);
  if (cached) {
    // Refresh in the background; keep the worker alive until the refresh is stored.
    void network;
    return cached;
  }
  const res = await network;
  return res ?? new Response('Offline and not cached', { status: 503, headers: { 'Content-Type': 'text/plain' } });
}

async function thumbnailResponse(request: Request): Promise<Response> {
  const cache = await caches.open(THUMB_CACHE);
  try {
    const res = await fetch(request);
    if (res.ok) await cache.put(request, res.clone());
    return res;
  } catch {
    return (await cache.match(request)) ?? new Response(null, { status: 404 });
  }
}

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (url.pathname.startsWith('/api/v1/workflows/i/') && url.pathname.endsWith('/thumbnail')) {
    event.respondWith(thumbnailResponse(request));
    return;
  }
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/sync')) return;
  // Every navigation is the single-page app: answer with the shell's index.html.
  if (request.mode === 'navigate') {
    event.respondWith(shellResponse(request, '/index.html'));
    return;
  }
  if (SHELL.includes(url.pathname) || url.pathname.endsWith('.js.map')) {
    event.respondWith(shellResponse(request, url.pathname));
  }
});

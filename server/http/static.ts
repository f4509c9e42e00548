// Serves the built web app (dist/client). Any GET that is not a file and not an API path gets
// index.html so client-side routes survive a reload. Everything is revalidated (no-cache + ETag):
// file names carry no content hash, and the service worker script must never be served stale.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream, statSync, type Stats } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { sendNotFound } from './errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

function fileAt(path: string): Stats | null {
  try {
    const stats = statSync(path);
    return stats.isFile() ? stats : null;
  } catch {
    return null;
  }
}

/** Paths the web app never owns: unknown ones there are JSON 404s, not index.html. */
function isReserved(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/sync' || path.startsWith('/sync/');
}

export function createStaticHandler(root: string) {
  const base = normalize(root + sep);
  return function serveStatic(request: FastifyRequest, reply: FastifyReply): void {
    const method = request.method;
    const rawPath = request.url.split('?')[0] ?? '/';
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      sendNotFound(reply);
      return;
    }
    if ((method !== 'GET' && method !== 'HEAD') || isReserved(path) || path.includes('\0')) {
      sendNotFound(reply);
      return;
    }
    let file = normalize(join(base, path));
    // normalize() resolves `..`; anything that ends up outside the folder is not ours to serve.
    let stats = file.startsWith(base) ? fileAt(file) : null;
    if (!stats && extname(path) === '') {
      file = join(base, 'index.html');
      stats = fileAt(file);
    }
    if (!stats) {
      sendNotFound(reply);
      return;
    }
    const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
    void reply
      .header('Cache-Control', 'no-cache')
      .header('ETag', etag)
      .header('X-Content-Type-Options', 'nosniff')
      .type(TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
    if (request.headers['if-none-match'] === etag) {
      void reply.code(304).send();
      return;
    }
    if (file.endsWith(`${sep}sw.js`)) void reply.header('Service-Worker-Allowed', '/');
    if (method === 'HEAD') {
      void reply.header('Content-Length', String(stats.size)).send();
      return;
    }
    void reply.send(createReadStream(file));
  };
}

// Serves the built web app (dist/client). Any GET that is not a file and not an API path gets
// index.html so client-side routes survive a reload. Everything is revalidated (no-cache + ETag):
// file names carry no content hash, and the service worker script must never be served stale.
// Text files are sent brotli- or gzip-compressed to clients that accept it, from the .br/.gz files the
// build writes beside them (never compressed per request: that would put zlib on the thread pool on
// every load); each encoding has its own ETag, and Vary: Accept-Encoding tells caches they differ.
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

/** Types worth compressing; the build writes .br/.gz for these (over 1 KiB). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.webmanifest', '.svg', '.txt']);

type Encoding = 'br' | 'gzip';
const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

/** The encodings an Accept-Encoding header allows (q > 0), best first: br, then gzip. */
function acceptedEncodings(header: string | undefined): Encoding[] {
  if (!header) return [];
  const allowed = new Map<string, number>();
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    allowed.set(token.trim(), q === undefined ? 1 : Number(q));
  }
  const wildcard = allowed.get('*') ?? 0;
  return (['br', 'gzip'] as const).filter((e) => (allowed.get(e) ?? wildcard) > 0);
}

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
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    let body = file;
    let encoding: Encoding | null = null;
    if (COMPRESSIBLE.has(extname(file).toLowerCase())) {
      void reply.header('Vary', 'Accept-Encoding');
      for (const candidate of acceptedEncodings(request.headers['accept-encoding'] as string | undefined)) {
        const variant = fileAt(file + SUFFIX[candidate]);
        // A variant older than its file is left from an earlier build: never serve it.
        if (variant && variant.mtimeMs >= stats.mtimeMs) {
          body = file + SUFFIX[candidate];
          stats = variant;
          encoding = candidate;
          break;
        }
      }
    }
    const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`;
    void reply
      .header('Cache-Control', 'no-cache')
      .header('ETag', etag)
      .header('X-Content-Type-Options', 'nosniff')
      .type(type);
    if (encoding) void reply.header('Content-Encoding', encoding);
    if (request.headers['if-none-match'] === etag) {
      void reply.code(304).send();
      return;
    }
    if (file.endsWith(`${sep}sw.js`)) void reply.header('Service-Worker-Allowed', '/');
    if (method === 'HEAD') {
      void reply.header('Content-Length', String(stats.size)).send();
      return;
    }
    void reply.send(createReadStream(body));
  };
}

// Response headers that keep other pages from framing, sniffing or reading the app (issue 9, "8.").
// Hand-set rather than @fastify/helmet: the set is small, and the web app needs a policy of its own.
// The app's policy allows only what the built app loads: its own module scripts, styles (index.html
// has one inline <style>, and Lit templates may set style attributes), thumbnails and icons from
// itself, fetch and WebSocket to itself ('self' covers ws:/wss: to the same host in CSP 3), and its
// service worker. Checked against the app in Chromium by the end-to-end tests.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const APP_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** API answers are data, never documents: nothing may run or load in them, nor frame them. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

const COMMON: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  // frame-ancestors for current browsers, X-Frame-Options for older ones.
  'X-Frame-Options': 'DENY',
  // Workflow ids are in URLs; they must not leak to other sites through Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    const path = request.url;
    const api = path === '/api' || path.startsWith('/api/') || path.startsWith('/api?');
    void reply.headers(COMMON).header('Content-Security-Policy', api ? API_CONTENT_SECURITY_POLICY : APP_CONTENT_SECURITY_POLICY);
    done(null, payload);
  });
}
